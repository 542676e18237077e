"""Smoke test of the local backend with a real GGUF model (marked `local_model`).

Opt-in, because it loads a 1.5B model (3 GB RAM, minutes of CPU on two cores)
and must not run inside every plain `pytest`: it runs only when selected with
`-m local_model` (or RECON_LOCAL_SMOKE=1), llama-cpp-python (with its server
extra) is installed and a GGUF is found at RECON_MODEL_PATH or in the
`recon model fetch` cache; otherwise it skips at once, saying why. One short chunk with two projects goes
through the real path: `local_server` starts llama.cpp, and the ordinary LLM
extractor (`pipeline.extract.model.backend.extract_document`) talks to it. Every number
must be grounded (its span slices to its text) and correct.

    pytest -m local_model tests/test_local_smoke.py     # about 1–2 minutes with the 1.5B model
"""

from __future__ import annotations

import importlib.util
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pipeline.extract.model.local_server import local_server
from pipeline.extract.model.model_fetch import find_cached_model
from pipeline.settings import load_settings
from schemas import Accounting, DocumentExtraction, FactKey

pytestmark = pytest.mark.local_model

# Read at import time: the autouse conftest fixture clears RECON_MODEL_PATH before each test.
_ENV_MODEL_PATH = os.environ.get("RECON_MODEL_PATH")

TEXT = """2023年度项目支出绩效自评报告

一、项目资金情况
（一）社区卫生服务补助项目：年初预算安排资金120.50万元，全年实际支出118.30万元，预算执行率98.17%。
（二）老年人健康管理项目：年初预算安排资金45.00万元，年中追加资金5.00万元，全年实际支出48.60万元。
"""

EXPECTED: dict[str, dict[FactKey, list[Decimal]]] = {
    "社区卫生服务补助": {
        FactKey.BUDGET_INITIAL: [Decimal("120.50")],
        FactKey.SPENT: [Decimal("118.30")],
    },
    "老年人健康管理": {
        FactKey.BUDGET_INITIAL: [Decimal("45.00")],
        FactKey.SUPPLEMENT: [Decimal("5.00")],
        FactKey.SPENT: [Decimal("48.60")],
    },
}


def _model_path() -> Path | None:
    if _ENV_MODEL_PATH and Path(_ENV_MODEL_PATH).is_file():
        return Path(_ENV_MODEL_PATH)
    return find_cached_model("qwen2.5-coder-1.5b")


def _opted_in(config: pytest.Config) -> bool:
    expression = str(config.getoption("markexpr", "") or "")
    selected = "local_model" in expression and "not local_model" not in expression
    return selected or os.environ.get("RECON_LOCAL_SMOKE") == "1"


def _skip_reason() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama_cpp is not installed (scripts/build_llama_cpp.sh)"
    if importlib.util.find_spec("uvicorn") is None:
        return "llama-cpp-python's [server] extra is not installed"
    if _model_path() is None:
        return "no GGUF: set RECON_MODEL_PATH or run `recon model fetch qwen2.5-coder-1.5b`"
    return None


def _extract(document: Any, chunks: list[Any], settings: Any) -> tuple[DocumentExtraction, Accounting]:
    from pipeline.extract.model.backend import extract_document

    return extract_document(document, chunks, settings, cache=None)


def test_two_projects_grounded_and_correct(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if not _opted_in(request.config):
        pytest.skip("opt-in: run with `pytest -m local_model` (or RECON_LOCAL_SMOKE=1)")
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    from pipeline.ingest.chunk import chunk_document
    from pipeline.ingest.read import ingest

    source = tmp_path / "smoke.txt"
    source.write_text(TEXT, encoding="utf-8")
    document = ingest(source)
    settings = load_settings(backend="local", model_path=_model_path())
    with local_server(settings) as local:
        chunks = chunk_document(document, local.chunk_chars)
        assert len(chunks) == 1
        extraction, accounting = _extract(document, chunks, local)

    for project in extraction.projects:
        for numbers in project.facts.values():
            for number in numbers:
                assert document.original_text[number.span.start : number.span.end] == number.text, number
    found: dict[str, dict[FactKey, list[Decimal]]] = {}
    for project in extraction.projects:
        for label in EXPECTED:
            if label in project.name:
                found[label] = {
                    key: sorted(n.value for n in numbers)
                    for key, numbers in project.facts.items()
                    if key in EXPECTED[label]
                }
    assert found == EXPECTED, f"projects: {[p.name for p in extraction.projects]}"
    # A number the model invents (a 0.00万元 追加 for the first project, seen here) is rejected
    # by grounding and counted, never stored: every stored number was sliced back above.
    assert extraction.ungrounded == accounting.ungrounded
    assert accounting.calls >= 1 and accounting.failed_chunks == 0
    assert accounting.completion_tokens > 0, "token usage must be reported by the local server"
