"""Sealed sorted runs (`organise/sorting.py`): more records than a run sort correctly and never
reach the disk readable."""

from __future__ import annotations

from organise import sorting
from organise.campaigns import release


def test_sorted_runs_never_put_a_readable_record_on_disk(monkeypatch):
    """More records than a run: the runs on disk hold no plaintext, and merge back in the
    release's order (case-folded, then exact), equal records included."""
    monkeypatch.setattr(sorting, "RUN_RECORDS", 50)
    monkeypatch.setattr(sorting, "BLOCK_RECORDS", 8)
    names = [f"{'ab'[n % 2]}{'ABb'[n % 3]}canary-{n % 37:02d}" for n in range(403)]
    records = [(name, "signal", "Team", "No.", 3, n % 2 == 0) for n, name in enumerate(names)]
    expected = list(records)
    release.sort_records(expected)
    with sorting.SealedRuns(release.sort_key, "test-runs") as runs:
        for start in range(0, len(records), 31):
            runs.add(records[start : start + 31])
        merged = list(runs.merged())
        on_disk = runs._file
        on_disk.seek(0)
        stored = on_disk.read()
    assert merged == expected
    assert len(stored) > 403 * 20
    assert b"canary" not in stored
    assert b"signal" not in stored
