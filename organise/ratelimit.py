"""Limits that count failures, in the memory of one process, and never key on the client.

Behind an onion service every client arrives from 127.0.0.1, and we store no addresses: a limit
keyed on the client would lump every worker together, or need what we refuse to keep. So a limit
here counts *failures* (an unknown code, receipt or share, a malformed post, a wrong passphrase)
per endpoint or per account name, and only in memory: nothing about them is ever written down,
and a restart forgets them.

- `FailureRate`: "so many failures per period", the setting `ORGANISE_RATE_LIMIT` (None: off).
- `FailureBucket`: a token bucket of one endpoint's failures. Full, it holds `failures` tokens;
  each failure takes one; it refills at `failures` per period. Empty, the endpoint answers
  failures with 429 (`organise.web.limits`); successes never take a token and are never refused.
- `EndpointFailures`: one bucket per endpoint.
- `NameFailures`: failed passphrases per account name (a keyed hash), and how long the answer to
  the next failure is held back. It never refuses anything: it slows failures down.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]

PERIODS = {"second": 1, "minute": 60, "hour": 3600}
OFF = frozenset({"off", "none", "false", "no", "0"})


@dataclass(frozen=True)
class FailureRate:
    """`failures` failures tolerated per `seconds`, per endpoint and per process."""

    failures: int
    seconds: int

    def __str__(self) -> str:
        period = next(name for name, length in PERIODS.items() if length == self.seconds)
        return f"{self.failures}/{period}"


# Far above real use (a worker mistypes a receipt now and then), far below a flood.
DEFAULT_RATE = FailureRate(failures=100, seconds=60)


def parse_rate(raw: str) -> FailureRate | None:
    """ "100/minute" (or /second, /hour), "off"; "" is the default. ValueError names the form."""
    value = raw.strip().lower()
    if not value:
        return DEFAULT_RATE
    if value in OFF:
        return None
    count, _slash, period = value.partition("/")
    count = count.strip()
    period = period.strip()
    if period.endswith("s"):
        period = period[:-1]
    if not (count.isascii() and count.isdigit() and 0 < len(count) <= 9) or period not in PERIODS:
        raise ValueError(
            f"expected a number of failures per second, minute or hour (like 100/minute), "
            f"or off; not {raw!r}"
        )
    failures = int(count)
    if failures < 1:
        raise ValueError(f"a number of failures above 0, or off; not {raw!r}")
    return FailureRate(failures=failures, seconds=PERIODS[period])


class FailureBucket:
    """A token bucket of failures: `take` one per failure while any are left."""

    def __init__(self, rate: FailureRate, clock: Clock) -> None:
        self.capacity = float(rate.failures)
        self.per_second = rate.failures / rate.seconds
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.per_second)
        self._updated = now

    def take(self) -> bool:
        """Count one failure; False if the bucket was empty (the failure is then not counted)."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def retry_after(self) -> int:
        """Whole seconds until the bucket takes a failure again (at least 1)."""
        self._refill()
        missing = max(0.0, 1 - self._tokens)
        return max(1, math.ceil(missing / self.per_second))


class EndpointFailures:
    """One bucket per endpoint (the set of endpoints is fixed by the code, so it is bounded)."""

    def __init__(self, rate: FailureRate | None, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, FailureBucket] = {}

    def bucket(self, endpoint: str) -> FailureBucket | None:
        """The endpoint's bucket; None when limits are off."""
        if self.rate is None:
            return None
        found = self._buckets.get(endpoint)
        if found is None:
            found = self._buckets[endpoint] = FailureBucket(self.rate, self._clock)
        return found


@dataclass
class _Record:
    failures: int
    last: float


class NameFailures:
    """Failed passphrases per account name: how long to hold back the answer to a failure.

    The first `free` failures in a row are answered at once; then each further failure waits
    `first` seconds, doubling up to `longest`. A right passphrase forgets the name's failures,
    and so do `forget_after` seconds without one. Nothing here refuses a request: a right
    passphrase is answered at once, however many failures came before it.

    At most `most` names are remembered (the longest quiet forgotten first), so guesses at
    made-up names cannot fill the memory.
    """

    def __init__(
        self,
        free: int,
        *,
        first: float = 1.0,
        longest: float = 30.0,
        forget_after: float = 3600.0,
        most: int = 10_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self.free = free
        self.first = first
        self.longest = longest
        self.forget_after = forget_after
        self.most = most
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def failed(self, name: str) -> float:
        """Count one failure for `name`; the seconds to wait before answering it."""
        now = self._clock()
        record = self._records.pop(name, None)
        if record is None or now - record.last > self.forget_after:
            record = _Record(failures=0, last=now)
        record.failures += 1
        record.last = now
        self._records[name] = record  # the most recent last
        while len(self._records) > self.most:
            self._records.popitem(last=False)
        return self.delay(record.failures)

    def delay(self, failures: int) -> float:
        beyond = failures - self.free
        if beyond <= 0:
            return 0.0
        return min(self.first * 2 ** min(beyond - 1, 32), self.longest)

    def succeeded(self, name: str) -> None:
        self._records.pop(name, None)

    def failures(self, name: str) -> int:
        """Failures counted for `name` and not yet forgotten."""
        record = self._records.get(name)
        if record is None or self._clock() - record.last > self.forget_after:
            return 0
        return record.failures

    def __len__(self) -> int:
        return len(self._records)


@dataclass
class Limits:
    """A process's limits, held by the Runtime (`runtime(request).limits`)."""

    endpoints: EndpointFailures
    names: NameFailures
