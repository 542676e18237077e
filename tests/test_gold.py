"""The gold reader: recon-gold/1 validation, error locations, and gold <-> extraction conversion."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pipeline.check.run import check
from pipeline.errors import GoldFormatError
from pipeline.evaluation.gold import (
    dump_gold,
    extraction_to_gold,
    gold_to_extraction,
    load_gold,
    load_gold_dir,
    parse_gold,
)
from schemas import DocumentExtraction, FactKey, Flag, Project, Rule, Severity, Span, StatedNumber
from schemas.gold import GoldAmount, GoldDocument

REPO = Path(__file__).resolve().parent.parent
GOLD_DIR = REPO / "eval" / "gold"
# The shared folder sits beside the repository (or the worktree) when it is mounted.
SHARED_GOLD = REPO.parent / "shared" / "gold"


def _minimal(**extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": "recon-gold/1",
        "document": "t.txt",
        "organization": None,
        "fiscal_year": 2023,
        "projects": [
            {
                "name": "甲项目",
                "parent": None,
                "unit": "万元",
                "facts": {
                    "budget_initial": "225",
                    "supplement": ["13.95", "0.68"],
                    "spent": {"value": "67.49", "unit": "元"},
                    "execution_rate": "9.4",
                },
            },
            {"name": "乙", "parent": "甲项目", "unit": "万元", "facts": {"spent": "4.10"}},
        ],
        "indicators": [{"name": "筛查", "target": "2450", "actual": "2564", "unit": "人", "rate": None}],
        "breakdowns": [
            {
                "unit": "万元",
                "total": {"label": "总支出", "value": "10"},
                "parts": [{"label": "a", "value": "9"}, {"label": "b", "value": "10000", "unit": "元"}],
            }
        ],
        "inconsistencies": [{"rule": "unit", "subject": "甲项目", "values": ["67.49"], "note": "n"}],
    }
    document.update(extra)
    return document


def _write(tmp_path: Path, data: Any, name: str = "t.gold.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_every_gold_file_loads_and_round_trips() -> None:
    documents = load_gold_dir(GOLD_DIR)
    assert len(documents) == len(list(GOLD_DIR.glob("*.gold.json"))) > 0
    for gold in documents:
        assert not gold.draft
        again = extraction_to_gold(gold_to_extraction(gold), draft=False)
        assert again.projects == gold.projects
        assert again.indicators == gold.indicators
        assert again.breakdowns == gold.breakdowns
        assert again.ratios == [ratio.model_copy(update={"note": None}) for ratio in gold.ratios]


#: Optional lists eval/gold may add to a shared gold file (eval/README.md); nothing else may differ.
EXTENSIONS = ("statements", "ratios")


@pytest.mark.skipif(not SHARED_GOLD.is_dir(), reason="shared gold folder not mounted")
def test_gold_copies_only_add_the_optional_lists() -> None:
    for source in SHARED_GOLD.glob("*.gold.json"):
        copy = GOLD_DIR / source.name
        ours = json.loads(copy.read_text(encoding="utf-8"))
        if not any(key in ours for key in EXTENSIONS):
            assert copy.read_bytes() == source.read_bytes()
            continue
        shared = json.loads(source.read_text(encoding="utf-8"))
        assert not any(key in shared for key in EXTENSIONS)
        assert {key: value for key, value in ours.items() if key not in EXTENSIONS} == shared


def test_gold_without_the_optional_lists_reads_as_before(tmp_path: Path) -> None:
    gold = load_gold(_write(tmp_path, _minimal()))
    assert gold.statements == [] and gold.ratios == []
    extraction = gold_to_extraction(gold)
    assert extraction.ratios == []
    assert all(statement.amount.value in (10, 9, 10000) for statement in extraction.statements)
    dumped = json.loads(dump_gold(gold))
    assert not any(key in dumped for key in EXTENSIONS)


_VILLAGE = "2023年基层医疗机构及村卫生室实施基本药物制度补助"


def _statement(value: str, scope: str | None = _VILLAGE, label: str = "村卫生室") -> dict[str, Any]:
    return {"label": label, "value": value, "unit": "个", "scope": scope}


def _ratio(label: str, value: str, unit: str, numerator: Any, denominator: Any) -> dict[str, Any]:
    return {"label": label, "value": value, "unit": unit, "numerator": numerator, "denominator": denominator}


def _rat(value: str) -> dict[str, str]:
    return {"value": value, "unit": "只"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            {"statements": [_statement("13"), _statement("34")]},
            [(Rule.CONFLICT, ["13", "34"])],
            id="statement-conflict-13-vs-34",
        ),
        pytest.param(
            {"statements": [_statement("13"), _statement("34", scope="2022年基层医疗机构")]},
            [],
            id="statements-in-other-scopes-not-compared",
        ),
        pytest.param(
            {"statements": [_statement("13"), _statement("13")]}, [], id="statements-that-agree-pass"
        ),
        pytest.param(
            {"statements": [{"label": "2023年度总支出", "value": "12", "unit": "万元"}]},
            [(Rule.CONFLICT, ["10", "12"])],
            id="report-scoped-statement-against-a-breakdown-total",
        ),
        pytest.param(
            {
                "statements": [
                    {"label": "糖尿病规范管理率", "value": "92.34", "unit": "%"},
                    {"label": "糖尿病规范管理率", "value": "86.16", "unit": "%", "note": "written 血糖规范管理率"},
                ]
            },
            [(Rule.CONFLICT, ["92.34", "86.16"])],
            id="one-rate-worded-two-ways",
        ),
        pytest.param(
            {"ratios": [_ratio("鼠密度", "0.10", "只/夹", _rat("31"), {"value": "2936", "unit": "个"})]},
            [(Rule.RATIO, ["0.10", "31", "2936"])],
            id="density-ratio-off",
        ),
        pytest.param(
            {"ratios": [_ratio("蝇密度", "0.77", "只/笼", _rat("37"), _rat("48"))]}, [], id="density-ratio-holds"
        ),
        pytest.param(
            {"ratios": [_ratio("万步率", "98.64", "%", "447", "484")]},
            [(Rule.RATIO, ["98.64", "447", "484"])],
            id="percent-ratio-off",
        ),
        pytest.param(
            {"ratios": [_ratio("万步率", "92.36", "%", "447", "484")]}, [], id="percent-ratio-holds"
        ),
    ],
)
def test_gold_statements_and_ratios_reach_the_checker(
    tmp_path: Path, extra: dict[str, Any], expected: list[tuple[Rule, list[str]]]
) -> None:
    data: dict[str, Any] = {
        "format": "recon-gold/1",
        "document": "t.txt",
        "fiscal_year": 2023,
        "breakdowns": [
            {
                "unit": "万元",
                "total": {"label": "总支出", "value": "10"},
                "parts": [{"label": "a", "value": "9"}, {"label": "b", "value": "1"}],
            }
        ],
        **extra,
    }
    report = check(gold_to_extraction(load_gold(_write(tmp_path, data))))
    got = [(flag.rule, flag.values) for flag in report.flags]
    assert len(got) == len(expected)
    assert [(rule, values[: len(want)]) for (rule, values), (_, want) in zip(got, expected, strict=True)] == expected


def test_fact_value_shapes(tmp_path: Path) -> None:
    gold = load_gold(_write(tmp_path, _minimal()))
    facts = gold.projects[0].facts
    assert facts[FactKey.SUPPLEMENT] == ["13.95", "0.68"]
    assert facts[FactKey.SPENT] == GoldAmount(value="67.49", unit="元")
    extraction = gold_to_extraction(gold)
    project = extraction.projects[0]
    assert [n.value for n in project.facts[FactKey.SUPPLEMENT]] == [Decimal("13.95"), Decimal("0.68")]
    assert project.facts[FactKey.SPENT][0].unit == "元"
    assert project.facts[FactKey.BUDGET_INITIAL][0].unit == "万元"
    assert project.facts[FactKey.EXECUTION_RATE][0].unit == "%"
    assert extraction.projects[1].parent == "甲项目"
    assert extraction.projects[1].facts[FactKey.SPENT][0].normalized == "4.10"
    breakdown = extraction.breakdowns[0]
    assert breakdown.exhaustive
    assert breakdown.parts[1].amount.unit == "元"
    assert breakdown.parts[0].amount.unit == "万元"
    assert extraction.indicators[0].target is not None and extraction.indicators[0].target.unit == "人"
    for number in project.facts[FactKey.SUPPLEMENT]:
        assert number.text == number.normalized and number.span.start == number.span.end == 0


def test_dump_gold_is_valid_and_stable(tmp_path: Path) -> None:
    gold = load_gold(_write(tmp_path, _minimal()))
    text = dump_gold(gold)
    assert "draft" not in json.loads(text)
    assert parse_gold(tmp_path / "t.gold.json", text) == gold
    draft = extraction_to_gold(gold_to_extraction(gold))
    assert json.loads(dump_gold(draft))["draft"] is True


@pytest.mark.parametrize(
    ("mutate", "json_path"),
    [
        pytest.param(
            lambda d: d["projects"][1]["facts"].update(spent=4.1), "projects[1].facts.spent", id="float"
        ),
        pytest.param(
            lambda d: d["projects"][0]["facts"].update(spnt="1"), "projects[0].facts.spnt", id="key"
        ),
        pytest.param(
            lambda d: d["projects"][0]["facts"]["supplement"].append({"unit": "元"}),
            "projects[0].facts.supplement[2].value",
            id="list-item-missing-value",
        ),
        pytest.param(lambda d: d["indicators"][0].update(rate="5%"), "indicators[0].rate", id="percent"),
        pytest.param(
            lambda d: d["breakdowns"][0]["parts"][0].pop("value"), "breakdowns[0].parts[0].value", id="miss"
        ),
        pytest.param(lambda d: d.update(format="recon-gold/2"), "format", id="format"),
        pytest.param(
            lambda d: d["inconsistencies"][0].update(rule="sum"), "inconsistencies[0].rule", id="rule"
        ),
        pytest.param(lambda d: d["projects"][1].update(parent="无此项目"), "projects[1].parent", id="parent"),
        pytest.param(lambda d: d["projects"][1].update(name="甲项目"), "projects[1].name", id="duplicate"),
        pytest.param(lambda d: d.update(document="other.txt"), "document", id="stem"),
        pytest.param(lambda d: d["projects"][0].update(note="x"), "projects[0].note", id="extra"),
        pytest.param(
            lambda d: d.update(statements=[{"label": "x", "value": 1.5}]), "statements[0].value", id="statement"
        ),
        pytest.param(
            lambda d: d.update(ratios=[{"label": "x", "value": "1", "denominator": "2"}]),
            "ratios[0].numerator",
            id="ratio-operand",
        ),
    ],
)
def test_malformed_gold_names_file_and_json_path(tmp_path: Path, mutate: Any, json_path: str) -> None:
    data = _minimal()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(GoldFormatError) as caught:
        load_gold(path)
    assert caught.value.json_path == json_path
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value) and json_path in str(caught.value)


def test_invalid_json_is_a_gold_format_error(tmp_path: Path) -> None:
    path = tmp_path / "t.gold.json"
    path.write_text('{"format": ', encoding="utf-8")
    with pytest.raises(GoldFormatError, match="invalid JSON"):
        load_gold(path)


def test_draft_flag_defaults_false_and_reads_true(tmp_path: Path) -> None:
    assert not load_gold(_write(tmp_path, _minimal())).draft
    assert load_gold(_write(tmp_path, _minimal(draft=True))).draft
    assert GoldDocument(format="recon-gold/1", document="x.txt").draft is False


def test_a_draft_from_any_extraction_passes_load_gold(tmp_path: Path) -> None:
    def spent(value: str) -> dict[FactKey, list[StatedNumber]]:
        number = StatedNumber(
            text=value, normalized=value, value=Decimal(value), unit="万元", span=Span(start=0, end=1)
        )
        return {FactKey.SPENT: [number]}

    extraction = DocumentExtraction(
        document="t.txt",
        projects=[
            Project(name="甲", facts=spent("1")),
            Project(name="甲", facts=spent("2")),
            Project(name="乙", parent="不存在", facts=spent("3")),
            Project(name="丙", parent="甲", facts=spent("4")),
        ],
    )
    flag = Flag(
        rule=Rule.DATE,
        severity=Severity.ERROR,
        subject="甲",
        message="m",
        equation="e",
        values=["2033", "2033年"],
    )
    draft = extraction_to_gold(extraction, flags=[flag])
    path = tmp_path / "t.gold.json"
    path.write_text(dump_gold(draft), encoding="utf-8")
    loaded = load_gold(path)
    assert loaded.draft
    assert [p.name for p in loaded.projects] == ["甲", "甲 [2]", "乙", "丙"]
    assert [p.parent for p in loaded.projects] == [None, None, None, "甲"]
    assert loaded.inconsistencies[0].values == ["2033"]
    assert loaded.projects[1].facts[FactKey.SPENT] == "2"
