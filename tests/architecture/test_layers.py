"""The package map of docs/architecture.md, enforced: calls point downward only, core never imports streamlit, no
module imports a test module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOOSE = "loose"  # core/errors.py, workspace.py, so101.py, codec.py, access_token.py, text.py
# package -> the core packages it may import (besides itself and the loose modules)
MAY_IMPORT: dict[str, frozenset[str]] = {
    LOOSE: frozenset(),
    "registry": frozenset(),
    "policy": frozenset({"registry"}),
    "training": frozenset({"policy", "registry"}),
    "sim": frozenset({"training", "policy"}),
    "rules": frozenset({"training", "policy"}),
    "start_pose": frozenset({"rules", "training", "policy"}),
    "station": frozenset({"rules", "start_pose", "training", "policy", "registry", "sim"}),
    "deploy": frozenset({"station", "rules", "start_pose", "training", "policy", "registry"}),
    "analytics": frozenset({"rules", "start_pose", "training", "policy", "registry"}),
    "evaluation": frozenset({"analytics", "station", "rules", "start_pose", "training", "policy", "registry"}),
    "cli": frozenset(
        {"evaluation", "deploy", "analytics", "station", "rules", "start_pose", "training", "policy", "registry", "sim"}
    ),
}
MAX_LOOSE_MODULES = 6


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "core" or len(parts) == 1:
        return None
    return parts[1] if (ROOT / "core" / parts[1]).is_dir() else LOOSE


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _core_files() -> list[Path]:
    return sorted(p for p in (ROOT / "core").rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_point_downward_only(path: Path) -> None:
    own = _package_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
    if path.parent == ROOT / "core":
        own = "cli" if path.name == "__main__.py" else LOOSE
    assert own is not None
    imports = _imports(path)
    assert not any(name == "streamlit" or name.startswith("streamlit.") for name in imports), (
        "core/ never imports streamlit"
    )
    wrong = sorted(
        name
        for name in imports
        if (target := _package_of(name)) not in (None, own, LOOSE) and target not in MAY_IMPORT[own]
    )
    assert not wrong, (
        f"{path.relative_to(ROOT)} ({own}) imports {wrong}: see the direction rule in docs/architecture.md"
    )


def test_every_core_package_states_what_it_holds_and_may_import() -> None:
    for package in sorted(p for p in (ROOT / "core").iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert package.name in MAY_IMPORT, f"core/{package.name} is not on the package map"
        docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
        assert "import" in docstring, f"core/{package.name}/__init__.py must say which packages it may import"


def test_at_most_six_loose_modules_in_core() -> None:
    loose = [p.name for p in (ROOT / "core").glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(loose) <= MAX_LOOSE_MODULES, loose


def _python_files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("folder", ["tests", "bench", "testkit"])
def test_no_module_imports_a_test_module_and_bench_never_imports_tests(folder: str) -> None:
    """Helpers two test files share live in testkit/ or the folder's conftest.py (docs/architecture.md#testkit)."""
    wrong = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _imports(path)
            if name.split(".")[0] == "tests"
            and (folder != "tests" or any(part.startswith("test_") for part in name.split(".")[1:]))
        )
        for path in _python_files(folder)
    }
    assert not {path: names for path, names in wrong.items() if names}
