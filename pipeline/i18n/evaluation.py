"""The words of `recon eval` and `recon gold draft`: table titles, figures, floor checks.

The JSON report (`--json`) keeps its English keys; only what is printed goes through here.
"""

from __future__ import annotations

from typing import Final

from pipeline.i18n.message import Message

EVALUATION: Final[dict[str, Message]] = {
    "eval.title": Message("recon 评估", "recon eval"),
    "eval.caption": Message("计数：正确/抽取/金标准", "counts: correct/extracted/gold"),
    "eval.figure": Message("指标", "figure"),
    "eval.overall": Message("总体", "overall"),
    "eval.counts": Message("计数", "counts"),
    "eval.na": Message("无", "n/a"),
    "eval.row": Message("{section} {measure}", "{section} {measure}"),
    "eval.section.projects": Message("项目", "projects"),
    "eval.section.parents": Message("上级项目", "parents"),
    "eval.section.indicators": Message("绩效指标", "indicators"),
    "eval.section.breakdowns": Message("分项", "breakdowns"),
    "eval.section.flags": Message("标记", "flags"),
    "eval.section.grounding": Message("出处定位", "grounding"),
    "eval.section.check_gold": Message("金标准核查", "check-gold"),
    "eval.measure.precision": Message("精确率", "P"),
    "eval.measure.recall": Message("召回率", "R"),
    "eval.measure.f1": Message("F1", "F1"),
    "eval.measure.accuracy": Message("准确率", "acc"),
    "eval.per_document": Message(
        "各文档（F1；上级项目：准确率；出处定位：精确一致）", "per document (F1; parents: accuracy; grounding: exact)"
    ),
    "eval.by_fact": Message("项目数据，按类别", "project facts by key"),
    "eval.by_rule": Message("标记，按规则", "flags by rule"),
    "eval.check_gold_by_rule": Message("在金标准数据上运行检查，按规则", "checker on gold facts, by rule"),
    "eval.key": Message("类别", "key"),
    "eval.correct": Message("正确", "correct"),
    "eval.extracted": Message("抽取", "extracted"),
    "eval.gold": Message("金标准", "gold"),
    "eval.errors": Message("差异：{list}", "errors: {list}"),
    "eval.errors_none": Message("无", "none"),
    "eval.against": Message("与之前的报告对比", "against the earlier report"),
    "eval.old": Message("之前", "old"),
    "eval.new": Message("现在", "new"),
    "eval.new_fixed": Message("新增差异 {new} 处，已修正 {fixed} 处", "new errors: {new}, fixed: {fixed}"),
    "eval.label_new": Message("新增", "new"),
    "eval.label_fixed": Message("修正", "fixed"),
    "eval.below_floor": Message("低于下限：", "below the floor:"),
    "eval.not_measured": Message("{figure}：未测得（下限 {floor}）", "{figure}: not measured (floor {floor})"),
    "eval.not_measured_gold": Message(
        "{figure}：未测得（下限 {floor}）（请加 --check-gold 运行）",
        "{figure}: not measured (floor {floor}) (run with --check-gold)",
    ),
    "eval.below": Message("{figure}：{value} 低于下限 {floor}", "{figure}: {value} < floor {floor}"),
    "eval.no_result": Message(
        "运行 {run} 及之前没有存储 {path} 的结果", "no result stored for {path} up to run {run}"
    ),
    "eval.gold_written": Message(
        "已写入 {path}：{projects} 个项目、{indicators} 个指标、{breakdowns} 组分项、{inconsistencies} 处不一致（草稿）",
        "wrote {path}: {projects} projects, {indicators} indicators, {breakdowns} breakdowns, "
        "{inconsistencies} inconsistencies (draft)",
    ),
}
