"""How Organise is packaged: its `crypto` package against another's, and the locks.

An unrelated distribution on PyPI (and perhaps others) also installs a top-level package named
`crypto`. Whichever way the two meet, importing Organise must fail with a message that says so,
never run on the wrong code or break the other silently (docs/architecture.md, "The crypto
package name"). Each case runs in a fresh interpreter without site-packages (`-S`) whose import
path is exactly the one under test; the stub distribution is built here, never installed.

The locks in requirements/ must pin every distribution with hashes and satisfy pyproject.toml.
"""

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
ADVICE = "install Organise into a virtual environment of its own"


def _record_line(site: Path, path: Path) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=")
    return f"{path.relative_to(site).as_posix()},sha256={digest.decode()},{path.stat().st_size}\n"


def _write_record(site: Path, dist_info: Path, files: list[Path]) -> None:
    lines = [_record_line(site, path) for path in files]
    (dist_info / "RECORD").write_text(
        "".join(lines) + f"{dist_info.name}/RECORD,,\n", encoding="utf-8"
    )


def install_stub(site: Path) -> None:
    """What installing the other `crypto` distribution leaves in `site` (as pip would)."""
    package = site / "crypto"
    package.mkdir(parents=True, exist_ok=True)
    init = package / "__init__.py"
    init.write_text('"""Someone else\'s crypto."""\n', encoding="utf-8")
    app = package / "app.py"
    app.write_text("def main():\n    return 'stub'\n", encoding="utf-8")
    dist_info = site / "crypto-1.4.1.dist-info"
    dist_info.mkdir()
    metadata = dist_info / "METADATA"
    metadata.write_text("Metadata-Version: 2.1\nName: crypto\nVersion: 1.4.1\n", encoding="utf-8")
    _write_record(site, dist_info, [init, app, metadata])


def install_ours(site: Path) -> None:
    """What installing Organise's wheel leaves in `site`: its two packages and its record."""
    site.mkdir(parents=True, exist_ok=True)
    skip = shutil.ignore_patterns("__pycache__")
    for package in ("crypto", "organise"):
        shutil.copytree(ROOT / package, site / package, ignore=skip, dirs_exist_ok=True)
    dist_info = site / "organise-0.1.0.dist-info"
    dist_info.mkdir()
    metadata = dist_info / "METADATA"
    metadata.write_text("Metadata-Version: 2.3\nName: organise\nVersion: 0.1.0\n", encoding="utf-8")
    ours = [
        path
        for package in ("crypto", "organise")
        for path in sorted((ROOT / package).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]
    _write_record(site, dist_info, [site / p.relative_to(ROOT) for p in ours] + [metadata])


def import_organise(cwd: Path, *path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in path)
    return subprocess.run(
        [sys.executable, "-S", "-c", "import organise, crypto; print(crypto.__file__)"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _assert_refused(result: subprocess.CompletedProcess, reason: str) -> None:
    """The import failed with an ImportError that gives `reason` and says what to do."""
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert reason in result.stderr
    assert ADVICE in result.stderr


def test_ours_alone_imports(tmp_path):
    result = import_organise(tmp_path, ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(ROOT / "crypto" / "__init__.py")


def test_another_crypto_ahead_of_ours_is_refused(tmp_path):
    install_stub(tmp_path / "stub")
    result = import_organise(tmp_path, tmp_path / "stub", ROOT)
    _assert_refused(
        result, f"{tmp_path / 'stub' / 'crypto' / '__init__.py'}' is not Organise's own"
    )


def test_another_crypto_behind_ours_is_refused(tmp_path):
    install_stub(tmp_path / "stub")
    result = import_organise(tmp_path, ROOT, tmp_path / "stub")
    _assert_refused(result, f"later on the import path: {tmp_path / 'stub' / 'crypto'}")


def test_installed_wheel_alone_imports(tmp_path):
    install_ours(tmp_path / "site")
    result = import_organise(tmp_path, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "site" / "crypto" / "__init__.py")


@pytest.mark.parametrize(
    ("installs", "message"),
    [
        # The other one overwrites our __init__.py: the marker is gone.
        ((install_ours, install_stub), "is not Organise's own"),
        # Ours overwrites theirs: their record still claims the folder.
        ((install_stub, install_ours), "another distribution's: crypto-1.4.1.dist-info"),
    ],
    ids=["theirs-installed-last", "ours-installed-last"],
)
def test_both_installed_into_one_folder_is_refused(tmp_path, installs, message):
    site = tmp_path / "site"
    for install in installs:
        install(site)
    _assert_refused(import_organise(tmp_path, site), message)


# The locks (README, "Dependencies"): complete, hash-pinned, and in step with pyproject.toml.

LOCKS = {"run.lock": "postgres", "test.lock": "test"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _wanted(extra: str) -> list[Requirement]:
    """The project's requirements with `extra`, its own extras expanded, and the build backend."""
    project = _pyproject()["project"]
    wanted, extras, seen = [], [extra], set()
    while extras:
        name = extras.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in project["optional-dependencies"][name]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == "organise":
                extras.extend(requirement.extras)
            else:
                wanted.append(requirement)
    wanted += [Requirement(text) for text in project["dependencies"]]
    return wanted + [Requirement(text) for text in _pyproject()["build-system"]["requires"]]


def _pins(lock: str) -> dict[str, tuple[str, int]]:
    """Each locked distribution: its version and how many hashes follow it."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in (ROOT / "requirements" / lock).read_text("utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line)
        if match:
            name = canonicalize_name(match[1])
            pins[name] = (match[2], 0)
        else:
            assert line.startswith("    --hash=sha256:"), f"{lock}: unexpected line {line!r}"
            assert name is not None
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_locked_distribution_has_a_hash_and_none_is_local(lock):
    text = (ROOT / "requirements" / lock).read_text("utf-8")
    assert "file:" not in text
    assert "-e " not in text
    pins = _pins(lock)
    assert len(pins) > 10
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == []
    assert "organise" not in pins  # installed from the checkout by the second pip install


@pytest.mark.parametrize(("lock", "extra"), sorted(LOCKS.items()))
def test_the_lock_satisfies_pyproject(lock, extra):
    pins = _pins(lock)
    unmet = [
        f"{requirement} (locked: {pins.get(canonicalize_name(requirement.name), ('none',))[0]})"
        for requirement in _wanted(extra)
        if canonicalize_name(requirement.name) not in pins
        or not requirement.specifier.contains(
            pins[canonicalize_name(requirement.name)][0], prereleases=True
        )
    ]
    assert unmet == [], "run `bash requirements/update` (README, Dependencies)"
