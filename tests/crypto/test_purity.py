"""crypto/ must stay a pure library: no web framework, ORM or app imports."""

import ast
import sys
from pathlib import Path

CRYPTO = Path(__file__).resolve().parents[2] / "crypto"
ALLOWED_THIRD_PARTY = {"nacl", "shamir_mnemonic", "segno", "crypto"}


def _imports(path):
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: inside crypto itself
                yield node.lineno, "crypto"
            else:
                yield node.lineno, node.module
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in {"__import__", "import_module"}:
                yield node.lineno, "<dynamic import>"


def test_crypto_imports_only_the_allow_list():
    files = sorted(CRYPTO.rglob("*.py"))
    assert len(files) >= 10
    allowed = set(sys.stdlib_module_names) | ALLOWED_THIRD_PARTY
    offending = [
        f"{path.relative_to(CRYPTO)}:{line}: {module}"
        for path in files
        for line, module in _imports(path)
        if module.split(".")[0] not in allowed
    ]
    assert offending == []


def test_the_checker_would_catch_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import starlette\nfrom tortoise import fields\nfrom organise.web import app\n")
    modules = [module for _, module in _imports(bad)]
    allowed = set(sys.stdlib_module_names) | ALLOWED_THIRD_PARTY
    assert [m for m in modules if m.split(".")[0] not in allowed] == [
        "starlette",
        "tortoise",
        "organise.web",
    ]
