"""The re-read is owned by `run`: its corrections reach the result JSON, the store and `recon show`.

A real `recon run --backend llm --llm-policy all` against the fake OpenAI server: the model
misreads a project's spending, the checker flags it, the re-read gives the same numbers
(`confirmed`), and the model-only path still goes through `complete` (year mentions, the
`date` rule).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, answer
from pydantic import SecretStr
from test_llm_backend import GOOD_ANSWER, PARENT, PROJECT_TEXT
from typer.testing import CliRunner

import pipeline.extract.model.llm as llm
from pipeline.cli.main import app
from pipeline.review.review import show_flag
from pipeline.run import run
from pipeline.settings import Settings, load_settings
from pipeline.store import Store
from schemas import Rule

HEAD = "某区卫生健康局2023年度项目支出绩效自评报告\n三、项目支出绩效情况\n"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "BACKOFF_INITIAL_SECONDS", 0.01)


def _misread() -> dict[str, Any]:
    wrong = json.loads(json.dumps(GOOD_ANSWER))
    wrong["projects"][0]["spent"] = "225万元"
    return wrong


def _settings(server: FakeOpenAI, tmp_path: Path) -> Settings:
    return load_settings(
        db_path=tmp_path / "recon.db",
        out_dir=tmp_path / "out",
        backend="llm",
        base_url=server.base_url,
        model="fake-model",
        api_key="sk-test-not-real",
        llm_policy="all",
        llm_contract="copy",  # the answers below copy numbers as written (the ids contract: test_llm_ids)
    ).model_copy(update={"max_retries": 1, "api_key": SecretStr("sk-test-not-real")})


def test_confirmed_reread_is_stored_and_shown(server: FakeOpenAI, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.txt").write_text(HEAD + PROJECT_TEXT, encoding="utf-8")
    settings = _settings(server, tmp_path)
    server.push(answer(_misread()), answer(_misread()))  # extraction, then the re-read
    with Store(settings.db_path) as store:
        summary = run([docs], settings, store)
        result = store.last_result(summary.documents[0].path)  # the run keeps only slim summaries
    assert result is not None
    assert result.backend == "llm" and result.extraction is not None and result.check is not None
    assert server.calls == 2
    # the model-only path went through `complete`: year, organisation, years in project names
    assert result.extraction.fiscal_year == 2023 and result.extraction.organization
    assert any(y.year == 2023 for y in result.extraction.years)
    assert [c.outcome for c in result.corrections] and {c.outcome for c in result.corrections} == {"confirmed"}
    written = json.loads((settings.out_dir / "report.txt.json").read_text(encoding="utf-8"))
    assert written["corrections"][0]["outcome"] == "confirmed"

    confirmed = {c.flag_key for c in result.corrections}
    with Store(settings.db_path) as store:
        flag = next(f for f in store.flags() if f.key in confirmed and f.rule is not Rule.DATE)
        view = show_flag(store, flag.id)
        assert [c.outcome for c in view.corrections] == ["confirmed"]
        assert PARENT in view.corrections[0].subject
    shown = CliRunner().invoke(app, ["show", str(flag.id), "--db", str(settings.db_path)])
    assert shown.exit_code == 0, shown.output
    assert "confirmed by re-read" in shown.stdout and "225" in shown.stdout


def test_rerun_without_flags_replaces_the_stored_corrections(server: FakeOpenAI, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    report = docs / "report.txt"
    report.write_text(HEAD + PROJECT_TEXT, encoding="utf-8")
    settings = _settings(server, tmp_path)
    server.push(answer(_misread()), answer(_misread()))
    with Store(settings.db_path) as store:
        run([docs], settings, store)
        assert store.count("corrections") > 0
    report.write_text(HEAD + PROJECT_TEXT + "\n", encoding="utf-8")  # changed: processed again
    server.push(answer(GOOD_ANSWER))
    with Store(settings.db_path) as store:
        summary = run([docs], settings, store)
        stored = store.last_result(summary.documents[0].path)
        assert stored is not None and stored.corrections == []
        assert store.count("corrections") == 0
