"""The import figure: wall time of `organise import atlas` on the shared snapshot, then again."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.harness import Row, Workspace

ATLAS = Path("/work/shared/data/atlas-of-surveillance-2020-10-07.csv")


def figure_import(space: Workspace) -> dict[str, Any]:
    space.cli("migrate")
    started = time.perf_counter()
    space.cli("import", "atlas", str(ATLAS))
    first = time.perf_counter() - started
    started = time.perf_counter()
    space.cli("import", "atlas", str(ATLAS))
    again = time.perf_counter() - started
    return {"import_seconds": first, "reimport_seconds": again, "file": ATLAS.name}


def rows(results: dict[str, Any]) -> list[Row]:
    if "import_seconds" not in results:
        return []
    return [
        ("import atlas, whole file (s)", f"{results['import_seconds']:.2f}", "< 10"),
        ("import atlas again (s)", f"{results['reimport_seconds']:.2f}", ""),
    ]
