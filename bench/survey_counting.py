"""The survey counting figure: counting and suppression of N responses against a bare count.

A realistic survey (a unit question marked crosstab over six teams, a multi question of eight
issues, a 1-5 readiness scale, a threshold question over five N, a role question, a text
question): N answers streamed from a fixed pool of 4,096 varied answers (so that making them
costs the same, and little, in both loops, and holds no memory that grows with N). Each is
timed in its own process with its peak resident memory (`bench/measure.py`, `ru_maxrss`):

- the release: `organise.surveys.tables.release` (one counting pass, the tables, the
  suppression audit), as the survey's close runs it once the responses are opened;
- the baseline: a tight loop that only counts the same cells (every question's options and
  every question per team) into lists by position, nothing else.

The release runs again at 4 x N: its peak memory must not grow with the number of answers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from bench.harness import Row, Workspace
from organise.surveys.tables import Answer, CountedQuestion, release

POOL = 4096
TEAMS = ("infra", "ads", "cloud", "ml", "payments", "devices")
ISSUES = ("contract", "data", "ice", "police", "military", "prisons", "pay", "safety")
THRESHOLDS = ("5", "10", "25", "50", "100")
QUESTIONS = (
    CountedQuestion("team", "choice", TEAMS, crosstab=True, required=True),
    CountedQuestion("issues", "multi", ISSUES),
    CountedQuestion("ready", "scale", ("1", "2", "3", "4", "5")),
    CountedQuestion("act_if", "threshold", THRESHOLDS),
    CountedQuestion("role", "choice", ("engineer", "manager", "designer", "ops")),
    CountedQuestion("why", "text", ()),
)


def answer_pool(seed: int = 2027) -> list[Answer]:
    """4,096 varied answers: skewed teams, a few issues each, some questions left blank."""
    rng = random.Random(seed)
    pool: list[Answer] = []
    for _ in range(POOL):
        answer: dict[str, str | int | list[str]] = {
            "team": rng.choices(TEAMS, weights=(30, 20, 20, 15, 10, 5))[0]
        }
        if rng.random() < 0.9:
            answer["issues"] = rng.sample(ISSUES, rng.randint(0, 4))
        if rng.random() < 0.95:
            answer["ready"] = rng.randint(1, 5)
        if rng.random() < 0.85:
            answer["act_if"] = int(rng.choice(THRESHOLDS))
        if rng.random() < 0.97:
            answer["role"] = rng.choices(("engineer", "manager", "designer", "ops"), (6, 2, 1, 1))[
                0
            ]
        pool.append(answer)
    return pool


def answers(count: int, pool: list[Answer]) -> Iterator[Answer]:
    """`count` answers drawn from the pool in a fixed scattered order, made one at a time."""
    for number in range(count):
        yield pool[(number * 2654435761) % POOL]


def bare_count(stream: Iterator[Answer]) -> dict[str, list[int]]:
    """The baseline: every question's options, and every question per team, counted into
    lists by position; no checks, no tables, no suppression."""
    position = {
        question.id: {
            (int(option) if question.type in ("scale", "threshold") else option): number
            for number, option in enumerate(question.options)
        }
        for question in QUESTIONS
    }
    teams = position["team"]
    totals = {question: [0] * len(options) for question, options in position.items()}
    per_team = {
        question: [[0] * len(options) for _ in TEAMS] for question, options in position.items()
    }
    for answer in stream:
        team = teams[cast(str, answer["team"])]
        for question, value in answer.items():
            where, total, row = position[question], totals[question], per_team[question][team]
            if isinstance(value, list):
                for option in value:
                    total[where[option]] += 1
                    row[where[option]] += 1
            else:
                total[where[value]] += 1
                row[where[value]] += 1
    return totals


def child(mode: str, count: int) -> dict[str, Any]:
    """One timed run in this process (the parent reads its peak memory)."""
    pool = answer_pool()
    started = time.perf_counter()
    if mode == "release":
        released = release(QUESTIONS, answers(count, pool), k=5)
        if released.responses != count:
            raise RuntimeError(f"the release counted {released.responses} of {count}")
    else:
        counted = bare_count(answers(count, pool))
        if sum(counted["team"]) != count:
            raise RuntimeError("the bare count missed answers")
    return {"seconds": time.perf_counter() - started}


def _measured(space: Workspace, mode: str, count: int) -> dict[str, Any]:
    """A child run under bench/measure.py: its loop's seconds (written by the child, process
    start and imports left out) and its peak memory."""
    out = space.root / f"survey-{mode}-{count}.json"
    command = (sys.executable, "-m", "bench.survey_counting", mode, str(count), str(out))
    measured = json.loads(space.run(sys.executable, "-m", "bench.measure", "--", *command))
    if measured["returncode"] != 0:
        raise RuntimeError(f"survey counting {mode} failed: {measured['stderr']}")
    return {"seconds": json.loads(out.read_text())["seconds"], "peak_mb": measured["peak_mb"]}


def figure_survey_counting(space: Workspace, count: int) -> dict[str, Any]:
    count_run = _measured(space, "count", count)
    release_run = _measured(space, "release", count)
    larger = _measured(space, "release", 4 * count)
    return {
        "survey_counting_responses": count,
        "survey_counting_seconds": release_run["seconds"],
        "survey_count_seconds": count_run["seconds"],
        "survey_counting_ratio": release_run["seconds"] / count_run["seconds"],
        "survey_counting_peak_mb": release_run["peak_mb"],
        "survey_counting_4x_seconds": larger["seconds"],
        "survey_counting_4x_peak_mb": larger["peak_mb"],
        "survey_counting_memory_growth": larger["peak_mb"] / release_run["peak_mb"],
    }


def rows(results: dict[str, Any]) -> list[Row]:
    if "survey_counting_ratio" not in results:
        return []
    n = results["survey_counting_responses"]
    return [
        (f"survey counting of {n:,} (s)", f"{results['survey_counting_seconds']:.2f}", ""),
        ("bare count (s)", f"{results['survey_count_seconds']:.2f}", ""),
        ("survey counting ratio", f"{results['survey_counting_ratio']:.2f}", "<= 1.5"),
        (
            f"counting peak memory at {n:,} / {4 * n:,} (MB)",
            f"{results['survey_counting_peak_mb']:.0f} / "
            f"{results['survey_counting_4x_peak_mb']:.0f}",
            "flat (growth <= 1.05)",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.survey_counting")
    parser.add_argument("mode", choices=("release", "count"))
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path, help="JSON file for the loop's seconds")
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(child(args.mode, args.count)))


if __name__ == "__main__":
    main()
