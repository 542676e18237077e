"""The checker's words in both languages: one template per rule, skip reasons, flag details.

`RULE_MESSAGES` is filled by `pipeline.review.flagtext.flag_message` from a flag's
structured fields; `CHECK` holds a template per reason a check was skipped
(`skip.*`, filled from `SkippedCheck.params`) and per kind of flag detail
(`detail.*`). The checker stores the English text of these in its JSON (stable
for other tools) together with the key and the parameters; whatever a person
reads is rendered again from the key in the reader's language.
"""

from __future__ import annotations

from typing import Final

from pipeline.i18n.message import Message
from schemas.flags import Rule

#: One template per checker rule, filled by `pipeline.review.flagtext.flag_message`. Placeholders:
#: subject, stated, recomputed, difference (absolute), tolerance, unit, detail, count, corrected,
#: value, direction, years.
RULE_MESSAGES: Final[dict[Rule, Message]] = {
    Rule.FLOW_IDENTITY: Message(
        "{subject}：资金来源 {recomputed}{unit} 不等于支出加结余 {stated}{unit}，相差 {difference}{unit}"
        "（允许误差 {tolerance}{unit}）",
        "{subject}: sources {recomputed}{unit} do not equal spending + balance {stated}{unit}, "
        "off by {difference}{unit} (tolerance {tolerance}{unit})",
    ),
    Rule.CHILDREN_SUM: Message(
        "{subject}：{detail}为 {stated}{unit}，但其 {count} 个子项目的{detail}合计为 {recomputed}{unit}，"
        "相差 {difference}{unit}",
        "{subject}: {detail} is {stated}{unit} but its {count} sub-projects' {detail} sum to "
        "{recomputed}{unit}, off by {difference}{unit}",
    ),
    Rule.BREAKDOWN_SUM: Message(
        "{subject}：合计为 {stated}{unit}，但 {count} 个分项之和为 {recomputed}{unit}，相差 {difference}{unit}",
        "{subject}: the total is {stated}{unit} but its {count} parts sum to {recomputed}{unit}, "
        "off by {difference}{unit}",
    ),
    Rule.RATIO: Message(
        "{subject}：写明为 {stated}{unit}，按 {detail} 计算应为 {recomputed}{unit}",
        "{subject}: stated as {stated}{unit} but {detail} gives {recomputed}{unit}",
    ),
    Rule.UNIT: Message(
        "{subject}：{value} 的单位疑似写错，按 {corrected}{unit} 理解则等式成立",
        "{subject}: the unit of {value} looks wrong; read as {corrected}{unit} the relation holds",
    ),
    Rule.CONFLICT: Message(
        "{subject}：同一数值前后不一致，一处为 {stated}{unit}，另一处为 {recomputed}{unit}",
        "{subject}: stated as {stated}{unit} in one place and as {recomputed}{unit} in another",
    ),
    Rule.DATE: Message(
        "{subject}：{value}年比预算年度 {recomputed} 年{direction} {years} 年",
        "{subject}: the year {value} is {years} years {direction} the fiscal year {recomputed}",
    ),
    Rule.SCORE: Message(
        "{subject}：得分为 {stated}，按评分表重新计算应为 {recomputed}，相差 {difference}",
        "{subject}: the score is {stated} but the score sheet gives {recomputed}, off by {difference}",
    ),
}

#: Words the templates put in a placeholder.
WORDS: Final[dict[str, Message]] = {
    "after": Message("晚", "after"),
    "before": Message("早", "before"),
    "numerator / denominator": Message("分子 ÷ 分母", "numerator / denominator"),
    "capped": Message("（是否按 100% 封顶？）", " (capped at 100%?)"),
    "small": Message("小", "small"),
    "large": Message("大", "large"),
}

#: Why a check was skipped (`SkippedCheck.code`, filled from `SkippedCheck.params`) and what a
#: flag's relation was (`Flag.details_code`, from `Flag.details_params`).
CHECK: Final[dict[str, Message]] = {
    # -- skipped checks ----------------------------------------------------------------------------
    "skip.units": Message(
        "金额的单位无法相互换算：{from_unit} 无法换算为 {to_unit}",
        "amounts in units that do not convert: cannot convert {from_unit} to {to_unit}",
    ),
    "skip.flow_needs": Message(
        "至少需要一项写明的资金来源和写明的实际支出", "needs at least one stated source and the stated spending"
    ),
    "skip.flow_incomplete": Message(
        "支出 {spent}，资金来源 {budget}，未写明年末结转结余：数据不完整",
        "spent {spent} of {budget} and states no year-end balance (carryover_out): incomplete",
    ),
    "skip.flow_unstated_source": Message(
        "支出 {spent} 超过写明的资金来源 {budget}，且未写明年末结转结余：可能有未写明的资金来源",
        "spent {spent} exceeds the stated sources {budget} and no year-end balance is stated: "
        "a source may be unstated",
    ),
    "skip.no_parent": Message("子项目所指的上级项目未找到", "sub-projects name a parent project that was not found"),
    "skip.children_lacking": Message(
        "{fact}：{count} 个子项目中有 {lacking} 个未写明（{names}）",
        "{fact}: {lacking} of {count} sub-projects do not state it ({names})",
    ),
    "skip.parts_units": Message("各分项的单位无法相加：{units}", "parts in units that do not add up: {units}"),
    "skip.not_a_breakdown": Message(
        "{listed} 至少是合计 {total} 的 {ratio} 倍，且单个分项即已达到合计：这些是另一种分类，不是合计的分项",
        "{listed} is at least {ratio}× the total {total} and one part alone reaches it: the parts are "
        "another classification, not a breakdown of it",
    ),
    "skip.ratio_units": Message(
        "{formula}：无法重新计算（{from_unit} 无法换算为 {to_unit}）",
        "{formula}: cannot recompute (cannot convert {from_unit} to {to_unit})",
    ),
    "skip.ratio_empty": Message(
        "{formula}：无法重新计算（分母可能为零）", "{formula}: cannot recompute (the denominator may be zero)"
    ),
    "skip.rate_no_basis": Message(
        "写明了执行率，但缺少实际支出或预算，无法重新计算",
        "execution_rate stated without spending and a budget to recompute it",
    ),
    "skip.conflict_units": Message("{what}：两处的单位无法换算", "{what}: stated in units that do not convert"),
    "skip.no_fiscal_year": Message("预算年度未知：无法检查年份", "fiscal year unknown: years cannot be checked"),
    "units.none": Message("无单位", "no unit"),
    # -- what a flag's relation was -------------------------------------------------------------
    "detail.formula": Message("{formula}", "{formula}"),
    "detail.children": Message(
        "{parent}的{fact} = 其 {count} 个子项目的{fact}之和",
        "{fact} of {parent} = Σ {fact} of its {count} sub-projects",
    ),
    "detail.parts": Message("{subject} = 其 {count} 个分项之和", "{subject} = Σ of its {count} parts"),
    "detail.parts_listed": Message("{subject} ≥ 所列分项之和", "{subject} ≥ Σ listed parts"),
    "detail.conflict_statement": Message("{project}的{fact}与“{label}”", "{fact} of {project} and {label}"),
    "detail.conflict_label": Message("{label}", "{label}"),
    "detail.conflict_label_scope": Message("{label}（{scope}）", "{label} ({scope})"),
    "detail.conflict_label_parts": Message("{label}，也作为{parts}的分项", "{label}, also as a part in {parts}"),
    "detail.conflict_label_scope_parts": Message(
        "{label}（{scope}），也作为{parts}的分项", "{label} ({scope}), also as a part in {parts}"
    ),
    "detail.conflict_project": Message("{project}的{fact}", "{fact} of {project}"),
    "detail.conflict_achieved": Message("{name}的完成值", "{name} achieved"),
    "detail.unit_other": Message(
        "{role}以{written}为单位，而同一关系中的其他金额以{unit}为单位",
        "{role} written in {written}; the other amounts of the relation use {unit}",
    ),
    "detail.unit_scale": Message(
        "{role}与其他金额同以{unit}为单位，但{too}了 {power} 倍",
        "{role} written in {unit} like the others, but {power} times too {too}",
    ),
    "detail.years": Message("允许范围：{low}–{high} 年", "allowed: {low}–{high}"),
}

#: The relations the checker writes with fact names, in both languages (`detail.formula`).
FORMULAS: Final[dict[str, Message]] = {
    "budget_total = spent + carryover_out": Message("全年预算 = 实际支出 + 结转结余", "budget_total = spent + carryover_out"),
    "sources - deductions = spent + carryover_out": Message(
        "资金来源 − 调出调减 = 实际支出 + 结转结余", "sources - deductions = spent + carryover_out"
    ),
    "spent / budget_total": Message("实际支出 ÷ 全年预算", "spent / budget_total"),
    "spent / (sources - deductions)": Message("实际支出 ÷（资金来源 − 调出调减）", "spent / (sources - deductions)"),
    "spent / sources": Message("实际支出 ÷ 资金来源", "spent / sources"),
    "actual / target": Message("实际值 ÷ 目标值", "actual / target"),
    "numerator / denominator": Message("分子 ÷ 分母", "numerator / denominator"),
}
