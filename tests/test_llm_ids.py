"""The candidate-id contract end to end against the fake OpenAI server (tests/fake_openai.py).

The model answers with ids of the numbers marked in the chunk (`225万元⟦1⟧`);
recon validates them (re-asking with a precise message), takes every number
from the candidate, merges the model's reading into the rules' by number with
the checker as referee, and re-reads flagged roles.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, answer
from pydantic import SecretStr
from test_llm_backend import make_document

import pipeline.extract.model.llm as llm
from pipeline.check.run import check
from pipeline.extract.backends import open_extractor
from pipeline.extract.evidence import number_candidates, rules_roles
from pipeline.extract.model.backend import extract_document_detailed, make_contract, reread_flagged
from pipeline.run import process_path_detailed
from pipeline.settings import Settings
from schemas import Document, FactKey

# ⟦1⟧ 225万元, ⟦2⟧ 220万元, ⟦3⟧ 5万元, ⟦4⟧ 87人次, ⟦5⟧ 98.5%
TEXT = (
    "一、项目资金情况\n"
    "项目“甲专项”年初预算金额225万元，实际支出220万元，结余结转5万元。"
    "全年培训87人次，预算执行率98.5%。\n"
)
GOOD: dict[str, Any] = {
    "projects": [
        {
            "name": "甲专项",
            "facts": {"budget_initial": 1, "spent": 2, "carryover_out": 3, "execution_rate": 5},
        }
    ]
}


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "BACKOFF_INITIAL_SECONDS", 0.01)


def settings_for(server: FakeOpenAI, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "backend": "llm",
        "base_url": server.base_url,
        "model": "fake-model",
        "api_key": SecretStr("sk-test-not-real"),
        "max_retries": 1,
        "transport_retries": 1,
        "timeout_seconds": 5.0,
        "concurrency": 1,
        "requests_per_minute": 60_000,
    }
    values.update(overrides)
    return Settings(**values)


def _extract(server: FakeOpenAI, document: Document, chunks: Any, **overrides: Any) -> Any:
    settings = settings_for(server, **overrides)
    contract = make_contract(document, settings, number_candidates(document))
    return extract_document_detailed(document, chunks, settings, contract=contract)


def _facts(result: Any) -> dict[str, dict[str, list[str]]]:
    return {
        p.name: {k.value: [f"{n.normalized}{n.unit}" for n in ns] for k, ns in p.facts.items()}
        for p in result.projects
    }


def test_the_chunk_is_marked_and_numbers_come_from_the_candidates(server: FakeOpenAI) -> None:
    document, chunks = make_document(TEXT)
    server.push(answer(GOOD))
    result = _extract(server, document, chunks)
    shown = server.requests[0].text
    assert "225万元⟦1⟧" in shown and "87人次⟦4⟧" in shown and "98.5%⟦5⟧" in shown
    assert _facts(result.extraction) == {
        "甲专项": {
            "budget_initial": ["225万元"],
            "spent": ["220万元"],
            "carryover_out": ["5万元"],
            "execution_rate": ["98.5%"],
        }
    }
    spent = result.extraction.projects[0].facts[FactKey.SPENT][0]
    assert document.original_text[spent.span.start : spent.span.end] == "220"
    assert result.accounting.calls == 1 and result.accounting.ungrounded == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"budget_initial": 31, "spent": 2}, "⟦31⟧ is not in this chunk"),
        ({"budget_initial": 4, "spent": 2}, "⟦4⟧ is 87人次, not money (budget_initial)"),
        (
            {"budget_initial": 1, "spent": 1},
            "⟦1⟧ is given as budget_initial of 甲专项 and as spent of 甲专项",
        ),
        ({"execution_rate": 3}, "⟦3⟧ is 5万元, not a percentage (execution_rate)"),
    ],
    ids=["unknown id", "wrong unit", "same id for two keys", "money as a rate"],
)
def test_an_id_that_does_not_fit_is_re_asked_with_a_precise_message(
    server: FakeOpenAI, bad: dict[str, int], message: str
) -> None:
    document, chunks = make_document(TEXT)
    server.push(answer({"projects": [{"name": "甲专项", "facts": bad}]}), answer(GOOD))
    result = _extract(server, document, chunks)
    assert server.calls == 2 and result.accounting.retries == 1
    assert message in server.requests[1].text  # instructor's re-ask carries the validation message
    assert _facts(result.extraction)["甲专项"]["spent"] == ["220万元"]
    assert not result.failures


def test_an_answer_still_wrong_after_every_re_ask_keeps_only_what_fits(server: FakeOpenAI) -> None:
    document, chunks = make_document(TEXT)
    wrong = {
        "projects": [
            {"name": "甲专项", "facts": {"budget_initial": 1, "spent": 2}},
            {"name": "乙专项", "facts": {"spent": 31}},
        ]
    }
    server.push(answer(wrong), answer(wrong))
    result = _extract(server, document, chunks)
    assert server.calls == 2 and not result.failures
    assert _facts(result.extraction) == {"甲专项": {"budget_initial": ["225万元"], "spent": ["220万元"]}}
    assert result.accounting.ungrounded == 1


def test_an_empty_answer_gives_nothing_and_is_no_failure(server: FakeOpenAI) -> None:
    document, chunks = make_document(TEXT)
    server.push(answer({"projects": None, "indicators": [], "breakdowns": []}))
    result = _extract(server, document, chunks)
    assert server.calls == 1
    assert result.extraction.projects == [] and not result.failures
    assert result.accounting.failed_chunks == 0


def test_indicators_and_breakdowns_by_id(server: FakeOpenAI) -> None:
    text = "2023年支出300万元，其中基本支出100万元，项目支出200万元。培训指标值80人次，完成87人次，完成率108.75%。\n"
    document, chunks = make_document(text)
    server.push(
        answer(
            {
                "indicators": [{"name": "培训", "target": 4, "actual": 5, "rate": 6}],
                "breakdowns": [
                    {
                        "total_label": "2023年支出",
                        "total": 1,
                        "parts": [2, 3],
                        "labels": ["基本支出", "项目支出"],
                    }
                ],
            }
        )
    )
    extraction = _extract(server, document, chunks).extraction
    indicator = extraction.indicators[0]
    assert (indicator.target and indicator.target.normalized, indicator.unit) == ("80", "人次")
    assert indicator.rate is not None and indicator.rate.unit == "%"
    breakdown = extraction.breakdowns[0]
    assert [(p.label, p.amount.normalized) for p in breakdown.parts] == [
        ("基本支出", "100"),
        ("项目支出", "200"),
    ]
    assert breakdown.unit == "万元"


def test_a_breakdown_without_labels_takes_them_from_the_text(server: FakeOpenAI) -> None:
    # ⟦1⟧ 300万元 ⟦2⟧ 100万元 ⟦3⟧ 200万元; a table: ⟦4⟧ 50 ⟦5⟧ 30 ⟦6⟧ 20 (万元 from the header)
    text = (
        "2023年支出300万元，其中基本支出100万元，项目支出200万元。\n"
        "资金来源（万元）\n年度资金总额\t50\n中央财政资金\t30\n其他资金\t20\n"
    )
    document, chunks = make_document(text)
    server.push(answer({"breakdowns": [{"total": 1, "parts": [2, 3]}, {"total": 4, "parts": [5, 6]}]}))
    extraction = _extract(server, document, chunks).extraction
    labelled = {
        b.total.label: [(p.label, p.amount.normalized) for p in b.parts] for b in extraction.breakdowns
    }
    assert labelled == {
        "2023年支出": [("基本支出", "100"), ("项目支出", "200")],
        "年度资金总额": [("中央财政资金", "30"), ("其他资金", "20")],
    }


def test_rules_roles_are_offered_as_hints_and_can_be_switched_off(server: FakeOpenAI) -> None:
    from pipeline.extract.rules.extract import extract

    document, chunks = make_document(TEXT)
    candidates = number_candidates(document)
    hints = rules_roles(document, extract(document, chunks), candidates)
    for use_hints, expected in ((True, True), (False, False)):
        settings = settings_for(server, llm_hints=use_hints)
        contract = make_contract(document, settings, candidates, hints)
        server.push(answer(GOOD))
        extract_document_detailed(document, chunks, settings, contract=contract)
        assert ("⟦1⟧ 甲专项 budget_initial?" in server.requests[-1].text) is expected


# -- uncovered: merge by candidate id, the checker as referee ---------------------------------------

# the rules place ⟦1⟧–⟦3⟧ of 甲专项; ⟦4⟧ 12.5万元 is left unplaced, so the chunk goes to the model
UNCOVERED = "一、项目资金情况\n项目“甲专项”年初预算金额225万元，实际支出220万元，结余结转5万元，另有12.5万元用于宣传。\n"


def _run_uncovered(server: FakeOpenAI, tmp_path: Path, reply: dict[str, Any], **overrides: Any) -> Any:
    path = tmp_path / "report.txt"
    path.write_text(UNCOVERED, encoding="utf-8")
    server.responder = lambda request: answer(reply)
    settings = settings_for(server, llm_policy="uncovered", **overrides)
    with open_extractor(settings) as extractor:
        result, failures = process_path_detailed(path, settings, extractor)
    assert not failures and result.extraction is not None
    return result.extraction


def test_uncovered_records_a_disagreement_and_keeps_the_rules_role(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    reply = {
        "projects": [
            {"name": "甲专项", "facts": {"budget_initial": 1, "spent": 3, "carryover_out": 2}},
            {"name": "宣传", "facts": {"spent": 4}},
        ]
    }
    extraction = _run_uncovered(server, tmp_path, reply)
    assert server.calls == 1
    facts = _facts(extraction)
    assert facts["甲专项"]["spent"] == ["220万元"] and facts["甲专项"]["carryover_out"] == ["5万元"]
    assert facts["宣传"] == {"spent": ["12.5万元"]}  # a new role the checker has nothing against
    disagreements = {
        (n.number, n.model_role, n.rules_role) for n in extraction.notes if n.kind == "disagreement"
    }
    assert disagreements == {
        ("5万元", "甲专项 spent", "甲专项 carryover_out"),
        ("220万元", "甲专项 carryover_out", "甲专项 spent"),
    }


@pytest.mark.parametrize("accept", ["checked", "all"])
def test_a_proposal_the_checker_rejects_is_kept_as_a_proposal(
    server: FakeOpenAI, tmp_path: Path, accept: str
) -> None:
    # 12.5万元 as 甲专项's 追加 breaks its flow identity: 225 + 12.5 ≠ 220 + 5
    reply = {"projects": [{"name": "甲专项", "facts": {"supplement": [4]}}]}
    extraction = _run_uncovered(server, tmp_path, reply, accept=accept)
    stored = FactKey.SUPPLEMENT in extraction.projects[0].facts
    proposals = [n for n in extraction.notes if n.kind == "proposal"]
    if accept == "checked":
        assert not stored
        assert [(p.number, p.model_role) for p in proposals] == [("12.5万元", "甲专项 supplement")]
        assert proposals[0].reason.startswith("flow_identity")
        assert not check(extraction).flags
    else:
        assert stored and not proposals


def test_a_re_read_corrects_a_role(server: FakeOpenAI) -> None:
    # ⟦1⟧ 225万元 ⟦2⟧ 10万元 ⟦3⟧ 230万元 ⟦4⟧ 5万元
    text = "项目“甲专项”年初预算金额225万元，年中追加10万元，实际支出230万元，结余结转5万元。\n"
    document, chunks = make_document(text)
    settings = settings_for(server)
    contract = make_contract(document, settings, number_candidates(document))
    misread = {
        "projects": [
            {
                "name": "甲专项",
                "facts": {"budget_initial": 1, "supplement": [4], "spent": 3, "carryover_out": 2},
            }
        ]
    }
    right = {
        "projects": [
            {
                "name": "甲专项",
                "facts": {"budget_initial": 1, "supplement": [2], "spent": 3, "carryover_out": 4},
            }
        ]
    }
    server.push(answer(misread))
    extraction = extract_document_detailed(document, chunks, settings, contract=contract).extraction
    report = check(extraction)
    assert any(f.rule.value == "flow_identity" for f in report.flags)

    server.push(answer(right))
    corrected, corrections, accounting = reread_flagged(
        document, chunks, extraction, report, settings, check, contract=contract
    )
    follow_up = server.requests[-1].text
    assert (
        "supplement=⟦4⟧" in follow_up
        and "carryover_out=⟦2⟧" in follow_up
        and "re-check their roles" in follow_up
    )
    assert accounting.calls == 1
    assert [c.outcome for c in corrections] == ["corrected"]
    assert _facts(corrected)["甲专项"]["supplement"] == ["10万元"]
    assert not [f for f in check(corrected).flags if f.rule.value == "flow_identity"]


def test_the_cache_key_changes_with_the_contract(server: FakeOpenAI) -> None:
    from pipeline.extract.model.backend import MemoryCache

    document, chunks = make_document(TEXT)
    cache = MemoryCache()
    server.push(answer(GOOD))
    settings = settings_for(server)
    contract = make_contract(document, settings, number_candidates(document))
    extract_document_detailed(document, chunks, settings, cache, contract=contract)
    again = extract_document_detailed(document, chunks, settings, cache, contract=contract)
    assert server.calls == 1 and again.accounting.cache_hits == 1
    copy = settings_for(server, llm_contract="copy")
    server.push(answer({"projects": []}))
    extract_document_detailed(document, chunks, copy, cache, contract=make_contract(document, copy))
    assert server.calls == 2  # an answer given to the ids contract is never served to copy
    assert json.loads(next(iter(cache._data.values())))["projects"][0]["facts"]["spent"] == 2


def test_recon_show_prints_the_models_disagreement_with_the_flag(server: FakeOpenAI, tmp_path: Path) -> None:
    from pipeline.cli.review import render_view
    from pipeline.review.review import show_flag
    from pipeline.run import run
    from pipeline.store import Store

    # 225 ≠ 220 + 40: the rules' reading is flagged, so the chunk goes to the model
    (tmp_path / "report.txt").write_text(
        UNCOVERED.replace("结余结转5万元", "结余结转40万元"), encoding="utf-8"
    )
    server.responder = lambda request: answer(
        {"projects": [{"name": "甲专项", "facts": {"carryover_out": 4}}]}
    )
    settings = settings_for(
        server, llm_policy="uncovered", db_path=tmp_path / "r.db", out_dir=tmp_path / "out"
    )
    with Store(tmp_path / "r.db") as store:
        run([tmp_path / "report.txt"], settings, store)
        flag_id = store.connection.execute("SELECT id FROM flags WHERE rule = 'flow_identity'").fetchone()[0]
        view = show_flag(store, flag_id)
    assert server.calls >= 1
    shown = "\n".join(line.plain for line in render_view(view, lang="en"))
    assert "model readings not stored as facts:" in shown
    assert "proposal · 12.5万元: model says 甲专项 carryover_out" in shown


def test_a_breakdown_of_a_total_the_rules_broke_down_otherwise_is_a_disagreement(server: FakeOpenAI) -> None:
    from pipeline.extract.referee import referee_merge
    from pipeline.extract.rules.extract import extract

    text = "一、收支情况\n2023年支出300万元，其中基本支出100万元，项目支出200万元。\n"
    document, chunks = make_document(text)
    by_rules = extract(document, chunks)
    assert [len(b.parts) for b in by_rules.breakdowns] == [2]
    server.push(
        answer(
            {"breakdowns": [{"total_label": "2023年支出", "total": 1, "parts": [3], "labels": ["项目支出"]}]}
        )
    )
    by_model = _extract(server, document, chunks).extraction
    merged = referee_merge(by_rules, by_model, check)
    assert [[p.amount.normalized for p in b.parts] for b in merged.breakdowns] == [["100", "200"]]
    assert [(n.kind, n.number) for n in merged.notes] == [("disagreement", "300万元")]
