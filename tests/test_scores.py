"""绩效自评表 arithmetic: rows read from tab-separated table lines, then the `score` rule."""

from __future__ import annotations

from decimal import Decimal

from pipeline.check.run import check
from pipeline.extract.complete import complete
from pipeline.extract.rules.extract import extract
from pipeline.ingest.chunk import chunk_document
from pipeline.ingest.read import ingest_text
from schemas import DocumentExtraction, Flag, Rule, ScoreLine, Severity, Span, StatedNumber

TABLE = (
    "2023年度项目支出绩效自评表\n"
    "项目资金\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分\n"
    "预算执行率\t120\t120\t118.3\t10\t98.58%\t{se}\n"
    "\n"
    "一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\n"
    "产出指标\t数量指标\t健康管理人数\t59000人\t59174人\t{w1}\t{s1}\n"
    "产出指标\t质量指标\t规范管理率\t≥60%\t84.36%\t{w2}\t{s2}\n"
    "效益指标\t社会效益\t群众知晓率\t≥80%\t90%\t{w3}\t{s3}\n"
    "满意度指标\t服务对象满意度\t满意度\t≥90%\t95%\t{w4}\t{s4}\n"
    "总分\t\t\t\t\t{wt}\t{st}\n"
)


def _extract(**values: str) -> DocumentExtraction:
    document = ingest_text(TABLE.format(**values), "table.txt")
    return complete(extract(document, chunk_document(document, 3000)), document)


GOOD = {"w1": "30", "s1": "30", "w2": "20", "s2": "18", "w3": "20", "s3": "19", "w4": "20", "s4": "20", "wt": "100", "st": "96.86", "se": "9.86"}


def test_rows_weights_and_scores_are_read_with_spans() -> None:
    extraction = _extract(**GOOD)
    rows = {line.label: (line.weight and line.weight.normalized, line.score and line.score.normalized) for line in extraction.scores}
    assert rows["健康管理人数"] == ("30", "30")
    assert rows["满意度"] == ("20", "20")
    assert rows["总分"] == ("100", "96.86")
    execution = next(line for line in extraction.scores if line.label == "预算执行率")
    assert execution.rate is not None and execution.rate.normalized == "98.58"
    document = ingest_text(TABLE.format(**GOOD), "table.txt")
    for line in extraction.scores:
        for number in (line.weight, line.score, line.rate):
            if number is not None:
                assert document.original_text[number.span.start : number.span.end] == number.text


def test_a_consistent_table_raises_no_score_flag() -> None:
    assert [f for f in check(_extract(**GOOD)).flags if f.rule is Rule.SCORE] == []


def test_each_score_rule_catches_its_error() -> None:
    over = check(_extract(**{**GOOD, "s2": "25", "st": "103.86"}))
    messages = [f.message for f in over.flags if f.rule is Rule.SCORE]
    assert any("exceeds weight 20" in m for m in messages)
    weights = check(_extract(**{**GOOD, "w4": "25", "wt": "105"}))
    assert not [f for f in weights.flags if f.rule is Rule.SCORE and "Σ分值" in f.message]
    weights_off = check(_extract(**{**GOOD, "w4": "25"}))
    assert [f.values[0] for f in weights_off.flags if f.rule is Rule.SCORE and "Σ分值" in f.message] == ["100"]
    total_off = check(_extract(**{**GOOD, "st": "95"}))
    assert [f.values[0] for f in total_off.flags if f.rule is Rule.SCORE and "总分" in f.message] == ["95"]
    execution_off = check(_extract(**{**GOOD, "se": "8", "st": "94.00"}))
    flags = [f for f in execution_off.flags if f.rule is Rule.SCORE and f.subject == "预算执行率"]
    assert len(flags) == 1 and "min(98.58%, 100%) × 10 = 9.858 ≠ 8" in flags[0].equation


def test_execution_score_passes_by_truncation_too() -> None:
    assert [f for f in check(_extract(**{**GOOD, "se": "9.85", "st": "96.85"})).flags if f.rule is Rule.SCORE] == []


# -- the rule on rows built directly (no reader involved) ------------------------------------------

_starts = iter(range(0, 100_000, 10))


def _n(text: str) -> StatedNumber:
    start = next(_starts)
    return StatedNumber(text=text, normalized=text, value=Decimal(text), unit=None, span=Span(start=start, end=start + len(text)))


def _table(*rows: tuple[str, str, str], total: tuple[str, str] | None = ("100", "96.86"), execution: tuple[str, str, str] | None = ("98.58", "10", "9.86")) -> DocumentExtraction:
    lines = [ScoreLine(label=label, weight=_n(weight), score=_n(score)) for label, weight, score in rows]
    if execution is not None:
        rate, weight, score = execution
        lines.insert(0, ScoreLine(label="预算执行率", rate=_n(rate), weight=_n(weight), score=_n(score)))
    if total is not None:
        lines.append(ScoreLine(label="总分", weight=_n(total[0]), score=_n(total[1]), is_total=True))
    return DocumentExtraction(document="t.txt", scores=lines)


ROWS = (("数量", "30", "30"), ("质量", "20", "18"), ("效益", "20", "19"), ("满意度", "20", "20"))


def _score_flags(extraction: DocumentExtraction) -> list[Flag]:
    return [f for f in check(extraction).flags if f.rule is Rule.SCORE]


def test_a_consistent_table_passes_every_score_relation() -> None:
    report = check(_table(*ROWS))
    assert report.flags == [] and report.passed == 4 + 1 + 1 + 1 + 1  # rows ≤ weight (with 执行率), 执行率 score, Σ分值, 总分


def test_total_a_little_off_is_a_warning_and_says_its_arithmetic() -> None:
    (flag,) = _score_flags(_table(*ROWS, total=("100", "96.90")))
    assert flag.severity is Severity.WARNING and flag.subject == "总分"
    assert flag.equation == "96.90 ≠ 9.86 + 30 + 18 + 19 + 20 = 96.86"
    assert flag.message == "总分: stated 96.90, rows add up to 96.86"
    assert flag.values == ["96.90", "9.86", "30", "18", "19", "20"]
    assert (flag.stated, flag.recomputed, flag.difference) == (Decimal("96.90"), Decimal("96.86"), Decimal("0.04"))
    assert flag.tolerance == Decimal("0.030")  # six numbers written to 0.01, half a unit each
    assert len(flag.spans) == 6


def test_total_more_than_two_last_digits_off_is_an_error() -> None:
    (flag,) = _score_flags(_table(*ROWS, total=("100", "96.93")))
    assert flag.severity is Severity.ERROR and flag.difference == Decimal("0.07")


def test_a_zero_score_is_exact() -> None:
    rows = (("数量", "30", "30"), ("质量", "20", "0"), ("效益", "20", "19"), ("满意度", "20", "20"))
    assert _score_flags(_table(*rows, total=("100", "78.86"))) == []
    (flag,) = _score_flags(_table(*rows, total=("100", "79.36")))
    assert flag.tolerance == Decimal("0.025")


def test_weights_that_do_not_add_to_100_without_a_total_row() -> None:
    rows = (*ROWS[:3], ("满意度", "25", "20"))
    (flag,) = _score_flags(_table(*rows, total=None))
    assert flag.equation == "100 ≠ 10 + 30 + 20 + 20 + 25 = 105"
    assert flag.values == ["10", "30", "20", "20", "25"] and flag.stated == Decimal(100)
    assert flag.message == "Σ分值 should be 100: stated 100, rows add up to 105"
    assert _score_flags(_table(*ROWS[:2], total=None, execution=None)) == []  # two rows are no table


def test_a_score_over_its_weight() -> None:
    rows = (*ROWS[:3], ("满意度", "20", "20.02"))
    flags = [f for f in _score_flags(_table(*rows, total=None)) if f.subject == "满意度"]
    (flag,) = flags
    assert flag.equation == "20.02 > 20" and flag.values == ["20.02", "20"]
    assert (flag.stated, flag.recomputed, flag.tolerance) == (Decimal("20.02"), Decimal(20), Decimal("0.010"))
    assert flag.severity is Severity.WARNING


def test_execution_score_off_says_the_expected_score() -> None:
    (flag,) = _score_flags(_table(*ROWS, total=None, execution=("98.58", "10", "8.00")))
    assert flag.subject == "预算执行率" and flag.severity is Severity.ERROR
    assert flag.equation == "min(98.58%, 100%) × 10 = 9.858 ≠ 8.00"
    assert flag.message == "预算执行率: score 8.00 but min(执行率, 100%) × 分值 gives 9.858"
    assert flag.values == ["8.00", "98.58", "10"]
    assert (flag.stated, flag.recomputed) == (Decimal("8.00"), Decimal("9.858"))
    assert flag.tolerance == Decimal("0.0055")  # the score's half unit + 10 × the rate's half unit / 100


def test_execution_over_100_percent_scores_the_full_weight() -> None:
    assert _score_flags(_table(*ROWS, total=None, execution=("104.2", "10", "10"))) == []
    assert _score_flags(_table(*ROWS, total=None, execution=("95", "10", "10.0"))) != []
