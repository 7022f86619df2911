"""The import direction between the packages (style notes): analysis is pure, the bridge knows no UI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "analysis": {"firmware_bridge", "tui", "textual", "bleak"},
    "firmware_bridge": {"tui", "textual"},
}


def _imported_top_level_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_in_the_allowed_direction(package: str) -> None:
    offenders = []
    files = [
        p
        for p in (ROOT / package).rglob("*.py")
        if "firmware" not in p.relative_to(ROOT).parts[1:2]
    ]
    assert files, f"no modules found in {package}"
    for path in files:
        bad = _imported_top_level_packages(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom tui.cli import main\nfrom . import sibling\n")
    assert _imported_top_level_packages(module) == {"os", "tui"}


def test_import_linter_contracts_hold() -> None:
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0
