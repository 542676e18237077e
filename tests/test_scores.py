"""绩效自评表 arithmetic: rows read from tab-separated table lines, then the `score` rule."""

from __future__ import annotations

from pipeline.check.run import check
from pipeline.extract.complete import complete
from pipeline.extract.rules.extract import extract
from pipeline.ingest.chunk import chunk_document
from pipeline.ingest.read import ingest_text
from schemas import DocumentExtraction, Rule

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
