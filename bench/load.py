"""The load generator, run as its own process: N POSTs at a fixed concurrency, timed.

    python -m bench.load URL BODIES.jsonl [--concurrency 16]

Each line of BODIES.jsonl is one request: {"path": ..., "json": ...}, optionally with
"method": "GET" and "headers". Prints one JSON object:
requests, seconds, throughput, status counts and latency percentiles (milliseconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import httpx


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def latency_summary(ms: list[float]) -> dict[str, float]:
    """The p50, p99 and mean of latencies in milliseconds."""
    return {
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99),
        "mean_ms": statistics.fmean(ms) if ms else float("nan"),
    }


async def drive(
    url: str, requests: list[dict], concurrency: int, *, keep_latencies: bool = False
) -> dict[str, object]:
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            request = queue.get_nowait()
            started = time.perf_counter()
            method = request.get("method", "POST")
            headers = request.get("headers")
            if method == "GET":
                response = await http.get(request["path"], headers=headers)
            else:
                response = await http.post(
                    request["path"], json=request.get("json"), headers=headers
                )
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] += 1

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    ms = [latency * 1000 for latency in latencies]
    kept = {"latencies_ms": ms} if keep_latencies else {}
    return {
        "requests": len(requests),
        "concurrency": concurrency,
        "seconds": seconds,
        "throughput": len(requests) / seconds,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        **latency_summary(ms),
        **kept,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("bodies", type=Path)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keep-latencies", action="store_true", help="print every latency too")
    args = parser.parse_args()
    requests = [json.loads(line) for line in args.bodies.read_text().splitlines() if line]
    result = asyncio.run(
        drive(args.url, requests, args.concurrency, keep_latencies=args.keep_latencies)
    )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
