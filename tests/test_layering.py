"""Import rules that keep the parts apart: benches never import test modules, and the
knowledge package stands alone (it imports neither the bot nor the handlers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("package", "forbidden"), [("bench", {"tests"}), ("knowledge", {"bot", "handlers", "tests"})])
def test_a_package_imports_none_of_the_forbidden_ones(package: str, forbidden: set[str]) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    offending = {str(f.relative_to(ROOT)): sorted(_imported(f) & forbidden) for f in files}
    assert {f: names for f, names in offending.items() if names} == {}
