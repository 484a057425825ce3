"""Failure counting in memory: the rate setting, endpoint buckets, per-name slow-down."""

from __future__ import annotations

import pytest

from organise.ratelimit import (
    DEFAULT_RATE,
    EndpointFailures,
    FailureBucket,
    FailureRate,
    NameFailures,
    parse_rate,
)
from organise.settings import Settings, SettingsError


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("raw", "rate"),
    [
        ("", DEFAULT_RATE),
        ("100/minute", FailureRate(100, 60)),
        (" 20 / hours ", FailureRate(20, 3600)),
        ("5/second", FailureRate(5, 1)),
        ("off", None),
        ("OFF", None),
        ("0", None),
    ],
)
def test_the_rate_setting_reads_failures_per_period_or_off(raw, rate):
    assert parse_rate(raw) == rate


@pytest.mark.parametrize("raw", ["100", "100/fortnight", "-5/minute", "0/minute", "lots/minute"])
def test_a_rate_setting_that_means_nothing_stops_the_server_with_its_name(raw, tmp_path):
    with pytest.raises(SettingsError, match="ORGANISE_RATE_LIMIT"):
        Settings.from_environ({"ORGANISE_INSTANCE_DIR": str(tmp_path), "ORGANISE_RATE_LIMIT": raw})


def test_the_default_is_far_above_real_use_and_below_a_burst_of_300_a_minute(tmp_path):
    settings = Settings.from_environ({"ORGANISE_INSTANCE_DIR": str(tmp_path)})
    assert settings.rate_limit == DEFAULT_RATE
    rate = DEFAULT_RATE
    # Even refilled over the whole minute, a bucket lets fewer than 300 failures through.
    assert rate.failures + rate.failures * 60 / rate.seconds < 300
    assert rate.failures >= 50
    assert str(rate) == "100/minute"


def test_a_bucket_takes_failures_until_empty_then_refills_with_time():
    clock = Clock()
    bucket = FailureBucket(FailureRate(3, 60), clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    assert bucket.retry_after() == 20  # one failure every 20 s
    clock.now += 19
    assert not bucket.take()
    assert bucket.retry_after() == 1
    clock.now += 1
    assert bucket.take()
    assert not bucket.take()
    clock.now += 3600  # never more than full
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_each_endpoint_has_its_own_bucket_and_off_has_none():
    clock = Clock()
    endpoints = EndpointFailures(FailureRate(1, 60), clock)
    assert endpoints.bucket("status").take()
    assert not endpoints.bucket("status").take()
    assert endpoints.bucket("withdraw").take()
    assert EndpointFailures(None).bucket("status") is None


def test_failures_per_name_are_slowed_after_a_few_and_forgotten_on_success():
    clock = Clock()
    names = NameFailures(free=3, first=1, longest=8, clock=clock)
    assert [names.failed("alex") for _ in range(8)] == [0, 0, 0, 1, 2, 4, 8, 8]
    assert names.failed("robin") == 0  # another name is not slowed
    names.succeeded("alex")
    assert names.failures("alex") == 0
    assert names.failed("alex") == 0


def test_a_quiet_name_is_forgotten_and_memory_stays_bounded():
    clock = Clock()
    names = NameFailures(free=1, forget_after=60, most=3, clock=clock)
    names.failed("alex")
    clock.now += 61
    assert names.failures("alex") == 0
    assert names.failed("alex") == 0  # counted afresh
    for name in ("a", "b", "c", "d"):
        names.failed(name)
    assert len(names) == 3
    assert names.failures("alex") == 0  # the longest quiet went first
