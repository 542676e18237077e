"""Test-wide guards: no real model request ever leaves a test.

Like pydantic-ai's ALLOW_MODEL_REQUESTS = False: every test starts with the LLM
settings cleared and RECON_HOME in a tmp dir, so only a fake server that a test
starts on 127.0.0.1 and names explicitly can be reached.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "samples"
GOLD = REPO / "eval" / "gold"

_LLM_VARS = (
    "RECON_BASE_URL",
    "RECON_MODEL",
    "RECON_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "RECON_MODEL_PATH",
    "RECON_BACKEND",
    "RECON_DB",
    "RECON_OUT",
)


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _LLM_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RECON_HOME", str(tmp_path))
    # Tests written against the English messages pin the language; the Chinese default is tested
    # by tests that delete this (tests/test_messages.py, tests/test_serve.py).
    monkeypatch.setenv("RECON_LANG", "en")
