"""Run one command as a child process; print its wall time and peak resident memory as JSON.

    python -m bench.measure -- COMMAND [ARGS...]

Peak memory is `ru_maxrss` of the children of this small process (that is: of COMMAND).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> None:
    command = sys.argv[1:]
    if command[:1] == ["--"]:
        command = command[1:]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    json.dump(
        {
            "seconds": seconds,
            "peak_mb": peak_kib / 1024,
            "returncode": completed.returncode,
            "stderr": completed.stderr[-2000:],
            "stdout_bytes": len(completed.stdout),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
