"""The layering contract of ``make lint`` (import-linter) holds, and fails on a back-edge."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent))


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT], cwd=tree, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(tree), "PATH": str(Path(sys.executable).parent)})


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    tree = tmp_path_factory.mktemp("layering")
    shutil.copytree(ROOT / "geoprospect", tree / "geoprospect",
                    ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def _lint_with(copy: Path, module: str, line: str) -> subprocess.CompletedProcess:
    """lint-imports on the copy with ``line`` appended to ``module`` (restored afterwards)."""
    target = copy / "geoprospect" / module
    original = target.read_text()
    target.write_text(original + f"\n{line}  # noqa: E402,F401\n")
    try:
        return _lint(copy)
    finally:
        target.write_text(original)


def test_contract_holds_and_a_back_edge_breaks_it(copy):
    assert LINT, "lint-imports (import-linter, a test dependency) must be installed"
    ok = _lint(copy)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "2 kept, 0 broken" in ok.stdout
    # io (the lowest layer but core) must not import the pipeline: add that edge
    broken = _lint_with(copy, "io/read.py", "from geoprospect.pipeline import rank")
    assert broken.returncode != 0
    assert "geoprospect.io.read -> geoprospect.pipeline" in broken.stdout
    # and a library module that imports the CLI breaks the second contract too
    broken = _lint_with(copy, "routes/site.py", "import geoprospect.cli")
    assert "The CLI is imported by nobody BROKEN" in broken.stdout
