"""The import-linter contracts in pyproject.toml catch the imports that break the floor plan.

Each case copies `pipeline/`, `schemas/` and `pyproject.toml` to a tmp dir, adds one illegal
import to the copy and runs the real `lint-imports` (its console-script entry point) there.
The first case from issue 10 is the reviewer's: the checker importing the store and the rules
extractor, which the old list of module names let through.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
)


def _copy_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("pipeline", "schemas"):
        shutil.copytree(REPO / package, root / package, ignore=ignore)
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _append(path: Path, lines: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(text + "\n" + lines + "\n", encoding="utf-8")


def test_untouched_copy_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint_imports(_copy_repo(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "lines", "broken"),
    [
        pytest.param(
            "pipeline/check/ratios.py",
            "from pipeline.store import Store  # noqa\nfrom pipeline.extract.rules.extract import extract  # noqa",
            [
                "pipeline.check.ratios -> pipeline.store",
                "pipeline.check.ratios -> pipeline.extract.rules.extract",
            ],
            id="check-imports-store-and-extract",
        ),
        pytest.param(
            "pipeline/check/scores.py",
            "from pipeline.cli.main import app  # noqa",
            ["pipeline.check.scores -> pipeline.cli.main"],
            id="check-imports-cli",
        ),
        pytest.param(
            "schemas/flags.py",
            "from pipeline.errors import ReconError  # noqa",
            ["schemas.flags -> pipeline.errors"],
            id="schemas-imports-pipeline",
        ),
        pytest.param(
            "pipeline/extract/ground.py",
            "import openai  # noqa\nimport instructor  # noqa",
            ["pipeline.extract.ground -> openai", "pipeline.extract.ground -> instructor"],
            id="openai-outside-extract-model",
        ),
        pytest.param(
            "pipeline/names.py",
            '"""A new top-level module that no layer names."""',
            ["The following modules are not listed as layers", "- pipeline.names"],
            id="new-module-without-a-layer",
        ),
    ],
)
def test_illegal_import_breaks_a_contract(tmp_path: Path, module: str, lines: str, broken: list[str]) -> None:
    root = _copy_repo(tmp_path)
    _append(root / module, lines)
    result = _lint_imports(root)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    for edge in broken:
        assert edge in result.stdout, result.stdout
