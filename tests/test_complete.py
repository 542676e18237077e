"""One path for every backend: `complete` before the checker, a merge that keeps every field,
and the backend registry (`pipeline.extract.backends`)."""

from __future__ import annotations

from decimal import Decimal

from pipeline.check.run import check
from pipeline.extract.backends import ModelExtractor, RulesExtractor, backend_names, open_extractor
from pipeline.extract.complete import complete, fiscal_year_of, organization_of
from pipeline.extract.merge import merge_extractions
from pipeline.extract.rules.extract import extract
from pipeline.ingest.chunk import chunk_document
from pipeline.ingest.read import ingest_text
from pipeline.settings import Settings
from schemas import (
    Breakdown,
    BreakdownItem,
    Coverage,
    DocumentExtraction,
    FactKey,
    Indicator,
    ModelNote,
    Project,
    Rule,
    ScoreLine,
    Span,
    StatedNumber,
    StatedRatio,
    Statement,
    YearMention,
)

SCORE_TABLE = (
    "某市卫生健康局2023年度项目支出绩效自评表\n"
    "一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\n"
    "产出指标\t数量指标\t健康管理人数\t59000人\t59174人\t30\t30\n"
    "产出指标\t质量指标\t规范管理率\t≥60%\t84.36%\t20\t18\n"
    "效益指标\t社会效益\t群众知晓率\t≥80%\t90%\t20\t19\n"
    "满意度指标\t服务对象满意度\t满意度\t≥90%\t95%\t20\t20\n"
    "总分\t\t\t\t\t100\t87\n"
)

#: A report as a model would read it: projects, a breakdown, nothing document-level.
REPORT = (
    "株洲市某区卫生健康局2023年度部门整体支出绩效自评报告\n"
    "一、基本情况\n"
    "2023年度总支出100万元，其中：项目支出80万元，基本支出30万元。\n"
    "二、项目情况\n"
    "1、项目“2033年三支一扶项目”年初预算23万元，实际支出28万元。\n"
    "三、病媒防制\n"
    "全年共布放有效鼠夹2936个，捕获鼠31只，鼠密度为0.10只/夹。\n"
)


def _number(text: str, at: str, source: str = REPORT, unit: str | None = "万元") -> StatedNumber:
    start = source.index(at) + at.index(text)
    return StatedNumber(
        text=text, normalized=text, value=Decimal(text), unit=unit, span=Span(start=start, end=start + len(text))
    )


def _model_reading() -> DocumentExtraction:
    """What the LLM path returns for REPORT: no organisation, year, statements, years, ratios."""
    name = "2033年三支一扶项目"
    name_start = REPORT.index(name)
    return DocumentExtraction(
        document="report.txt",
        projects=[
            Project(
                name=name,
                unit="万元",
                facts={
                    FactKey.BUDGET_INITIAL: [_number("23", "年初预算23万元")],
                    FactKey.SPENT: [_number("28", "实际支出28万元")],
                },
                name_span=Span(start=name_start, end=name_start + len(name)),
                source="llm",
            )
        ],
        breakdowns=[
            Breakdown(
                unit="万元",
                total=BreakdownItem(label="总支出", amount=_number("100", "总支出100万元")),
                parts=[
                    BreakdownItem(label="项目支出", amount=_number("80", "项目支出80万元")),
                    BreakdownItem(label="基本支出", amount=_number("30", "基本支出30万元")),
                ],
                source="llm",
            )
        ],
    )


def test_complete_gives_a_model_reading_what_the_document_level_rules_need() -> None:
    document = ingest_text(REPORT, "report.txt")
    completed = complete(_model_reading(), document)
    assert completed.organization == organization_of(REPORT) and completed.organization
    assert completed.fiscal_year == fiscal_year_of(REPORT) == 2023
    assert {s.label for s in completed.statements} >= {"支出", "项目支出", "基本支出"}  # labels normalised
    assert [(y.year, REPORT[y.span.start : y.span.end]) for y in completed.years] == [(2033, "2033")]
    assert [(r.label, r.value.normalized, r.numerator.normalized) for r in completed.ratios] == [
        ("鼠密度", "0.10", "31")
    ]
    rules = {f.rule for f in check(completed).flags}
    assert Rule.DATE in rules and Rule.BREAKDOWN_SUM in rules
    assert Rule.DATE not in {f.rule for f in check(_model_reading()).flags}


def test_complete_reads_scores_and_keeps_what_the_backend_stated() -> None:
    document = ingest_text(SCORE_TABLE, "table.txt")
    bare = DocumentExtraction(document="table.txt")
    assert len(complete(bare, document).scores) == 5
    stated = bare.model_copy(update={"organization": "某局", "fiscal_year": 2019})
    again = complete(stated, document)
    assert (again.organization, again.fiscal_year) == ("某局", 2019)
    assert complete(again, document) == again  # nothing derived twice


def test_rules_output_is_unchanged_by_completing_it_twice() -> None:
    document = ingest_text(REPORT, "report.txt")
    once = complete(extract(document, chunk_document(document)), document)
    assert complete(once, document) == once


def test_merge_keeps_the_scores_of_the_score_table() -> None:
    document = ingest_text(SCORE_TABLE, "table.txt")
    extraction = complete(extract(document, chunk_document(document)), document)
    assert len(extraction.scores) == 5
    merged = merge_extractions(extraction.document, [extraction])
    assert merged.scores == extraction.scores
    twice = merge_extractions(extraction.document, [extraction, extraction])
    assert twice.scores == extraction.scores  # the same row seen twice is one row


def _every_field_set() -> DocumentExtraction:
    number = _number("23", "年初预算23万元")
    return _model_reading().model_copy(
        update={
            "organization": "某局",
            "fiscal_year": 2023,
            "indicators": [Indicator(name="健康管理人数", actual=number, unit="万元")],
            "statements": [Statement(label="总支出", scope="2023", amount=number)],
            "years": [YearMention(year=2033, subject="x", span=number.span)],
            "ratios": [StatedRatio(label="鼠密度", value=number, numerator=number, denominator=number)],
            "scores": [ScoreLine(label="总分", weight=number, score=number, is_total=True)],
            "ungrounded": 2,
            "coverage": Coverage(money_amounts=4, placed=3),
            "notes": [ModelNote(kind="proposal", number="1万元", span=number.span, model_role="x spent")],
        }
    )


def test_merge_of_one_part_keeps_every_field() -> None:
    whole = _every_field_set()
    fields = DocumentExtraction.model_fields.items()
    unset = [name for name, info in fields if getattr(whole, name) == info.get_default(call_default_factory=True)]
    assert unset == [], f"give these fields a value in _every_field_set: {unset}"
    assert merge_extractions(whole.document, [whole]) == whole


def test_backends_are_chosen_by_name() -> None:
    assert set(backend_names()) >= {"rules", "llm", "local"}
    with open_extractor(Settings(backend="rules")) as rules:
        assert isinstance(rules, RulesExtractor) and rules.name == "rules" and not rules.uses_cache
    settings = Settings(backend="llm", base_url="http://127.0.0.1:9/v1", model="m")
    with open_extractor(settings) as model:
        assert isinstance(model, ModelExtractor) and model.name == "llm" and model.model == "m"
        assert model.uses_cache and model.prompt_version
