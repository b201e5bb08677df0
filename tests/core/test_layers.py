"""The layers of docs/adr/0007-layers.md hold: ``lint-imports`` (import-linter, contract in
pyproject.toml) exits 0. Part of the README's test command, and a gate of its own in .ci/run."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_imports_respect_the_layers() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _imports_transaction(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
            node.module == "django.db.transaction"
            or (node.module == "django.db" and any(a.name == "transaction" for a in node.names))
        ):
            return True
        if isinstance(node, ast.Import) and any(a.name.startswith("django.db.transaction") for a in node.names):
            return True
    return False


def test_views_never_open_a_transaction() -> None:
    """A composite write is one service (which is atomic): views (``views*.py``) never import
    ``transaction``, so a view cannot stitch two services together and call that atomic."""
    views = sorted((ROOT / "hamkori").rglob("views*.py"))
    assert views, "no views found"
    offenders = [str(p.relative_to(ROOT)) for p in views if _imports_transaction(ast.parse(p.read_text()))]
    assert offenders == [], f"views importing django.db.transaction: {offenders}"
