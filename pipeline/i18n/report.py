"""The words of `recon report` (one HTML page per run, or an index and a page per document)."""

from __future__ import annotations

from typing import Final

from pipeline.i18n.message import Message

REPORT: Final[dict[str, Message]] = {
    "report.html_lang": Message("zh-CN", "en"),
    "report.title": Message("recon 报告", "recon report"),
    "report.title_run": Message("recon 报告——运行 {id}", "recon report — run {id}"),
    "report.all_documents": Message("全部文档", "all documents"),
    "report.meta_run": Message("运行", "run"),
    "report.meta_finished": Message("结束时间", "finished"),
    "report.summary": Message("概要", "Summary"),
    "report.summary_line": Message(
        "{documents} 个文档，{flags} 条标记：{statuses}", "{documents} document(s), {flags} flag(s): {statuses}"
    ),
    "report.one_page_each": Message("每个文档一页", "one page per document"),
    "report.skipped_checks": Message("未检查项", "skipped checks"),
    "report.by_rule": Message("按规则和严重程度统计的标记", "Flags by rule and severity"),
    "report.flags": Message("标记（{count}）", "Flags ({count})"),
    "report.no_flags": Message("没有标记", "no flags"),
    "report.show": Message("显示：", "show:"),
    "report.decided_by": Message("审核人 {by}", "decided by {by}"),
    "report.source_unavailable": Message("原文不可用", "source text unavailable"),
    "report.not_in_text": Message("该数字不在原文中", "span not in the source text"),
    "report.documents": Message("文档", "Documents"),
    "report.source_text": Message("原文", "source text"),
    "report.nothing": Message("未提取到任何内容", "nothing extracted"),
    "report.none_found": Message("未找到项目、指标或分项", "no projects, indicators or breakdowns found"),
    "report.projects": Message("项目（{count}）", "Projects ({count})"),
    "report.indicators": Message("绩效指标（{count}）", "Indicators ({count})"),
    "report.breakdowns": Message("分项（{count}）", "Breakdowns ({count})"),
    "report.statements": Message("文中写明的金额（{count}）", "Statements ({count})"),
    "report.category": Message("类别", "category"),
    "report.amount": Message("金额", "amount"),
    "report.exhaustive": Message("完整列出", "exhaustive"),
    "report.label": Message("标签", "label"),
    "report.scope": Message("范围", "scope"),
    "report.yes": Message("是", "yes"),
    "report.no": Message("否", "no"),
    "report.coverage": Message(
        "{percent}（{total} 个金额中识别 {placed} 个）", "{percent} ({placed} of {total} money amounts placed)"
    ),
    "report.coverage_of": Message("覆盖率 {coverage}", "coverage {coverage}"),
    "report.wrote": Message("已写入 {path}", "wrote {path}"),
}
