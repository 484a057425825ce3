"""The import figure: wall time of `organise import atlas` on the shared snapshot, then again.

The snapshot is not in the repository (see shared/data/README.md): it lives in the `shared/data`
folder beside the checkout, or wherever `ORGANISE_ATLAS_CSV` says.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.harness import ROOT, Row, Workspace

ATLAS_NAME = "atlas-of-surveillance-2020-10-07.csv"


def atlas_file() -> Path:
    given = os.environ.get("ORGANISE_ATLAS_CSV")
    path = Path(given) if given else ROOT.parent / "shared" / "data" / ATLAS_NAME
    if not path.is_file():
        raise RuntimeError(
            f"The Atlas of Surveillance snapshot is missing at {path}: put the shared/data "
            "folder beside the checkout, or set ORGANISE_ATLAS_CSV to the file."
        )
    return path


def figure_import(space: Workspace) -> dict[str, Any]:
    atlas = atlas_file()
    space.cli("migrate")
    started = time.perf_counter()
    space.cli("import", "atlas", str(atlas))
    first = time.perf_counter() - started
    started = time.perf_counter()
    space.cli("import", "atlas", str(atlas))
    again = time.perf_counter() - started
    return {"import_seconds": first, "reimport_seconds": again, "file": atlas.name}


def rows(results: dict[str, Any]) -> list[Row]:
    if "import_seconds" not in results:
        return []
    return [
        ("import atlas, whole file (s)", f"{results['import_seconds']:.2f}", "< 10"),
        ("import atlas again (s)", f"{results['reimport_seconds']:.2f}", ""),
    ]
