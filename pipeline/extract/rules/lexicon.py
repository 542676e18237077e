"""The genre's vocabulary: which words give a number its role in a self-evaluation report.

Every entry is a meaning of this genre (预算绩效自评报告), written as a regular
expression over normalised text, with a comment on what it means. Nothing here
is taken from one particular report: these are the words the national forms
and the budget law use (年初预算, 全年预算数, 全年执行数, 上年结转 …).

Order matters only where two entries match the same characters: the role
reader prefers the keyword nearest the number, then the longer match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas import FactKey


@dataclass(frozen=True)
class RoleWord:
    """A keyword that gives a money amount a fact role."""

    key: FactKey
    pattern: re.Pattern[str]
    meaning: str


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


#: Money keywords, one entry per meaning.
ROLE_WORDS: tuple[RoleWord, ...] = (
    RoleWord(
        FactKey.CARRYOVER_IN,
        _p(r"上年(?:度)?(?:结余)?结转(?:结余)?|上年(?:度)?结余|以前年度结转|上年(?:度)?(?:未支出|剩余)"),
        "balance brought in from the previous year",
    ),
    RoleWord(
        FactKey.BUDGET_INITIAL,
        _p(r"年初(?:批复|部门)?预算(?:数|金额)?|年初批复|年初安排|年初下达"),
        "the budget approved at the start of the year",
    ),
    RoleWord(
        FactKey.TRANSFER_IN,
        _p(
            r"上级(?:转移支付|补助|下达|拨付|拨入)|转移支付资金|下达(?:我|了|给|至|到)?|"
            r"(?:中央|省|市|州|盟|自治区)(?:级)?(?:财政)?(?:专项)?(?:补助|下拨|拨付)|争取(?:到|上级)?"
        ),
        "money allotted from above during the year (convention 1: 下达, 转移支付, 中央/省/市补助)",
    ),
    RoleWord(
        FactKey.SUPPLEMENT,
        _p(r"追加|调增(?!上级)|年中(?:调整)?增加|新增预算"),
        "a same-level addition during the year",
    ),
    RoleWord(FactKey.TRANSFER_OUT, _p(r"调剂(?:到|至|给|出)?|调出"), "moved to another unit, not spent"),
    RoleWord(
        FactKey.REDUCTION,
        _p(r"调减|扣减|核减|追减|收回|压减|减少预算"),
        "a cut of the budget during the year",
    ),
    RoleWord(
        FactKey.CARRYOVER_OUT,
        _p(r"结余结转|结转结余|结余|结转|剩余|余款|未执行|未使用|尚未支出|未支出|沉淀"),
        "balance left at year end (carried forward or not)",
    ),
    RoleWord(
        FactKey.BUDGET_TOTAL,
        _p(
            r"实际下达|实际到位|全年预算(?:数)?|调整(?:后)?(?:的)?预算(?:数)?|预算(?:数|资金|金额)?|"
            r"到位(?:资金)?|资金总额|安排(?:资金)?|批复|核定|筹集"
        ),
        "the whole budget of the year as stated (实际下达 and 实际到位 are the net amount received)",
    ),
    RoleWord(
        FactKey.SPENT,
        _p(
            r"实际支出|支出(?:决算|数)?|执行数|实际执行|执行(?:了)?|已使用|使用(?:了)?|已拨付|拨付|"
            r"发放|兑付|兑现|决算|完成投资|共支|支付|开支|列支|花费"
        ),
        "money actually spent or paid out",
    ),
)

#: Generic aggregators: they give way to a specific keyword in the same clause; alone they
#: name a programme's whole amount (convention 1: `budget_total`). A planned or total
#: investment (计划投资, 总投资) is read the same way: the whole amount, named vaguely, which a
#: later 全年预算/实际到位 of the same project replaces.
AGGREGATOR = _p(r"合计|共计|总计|累计|总额|计划(?:投资|安排)|总投资|共")

#: Rates of the project's own money (convention 4): 执行率, 支出率, 资金使用率, 发放率 of the fund.
EXECUTION_RATE = _p(r"执行率|支出率|使用率|发放率|拨付率|完成预算的?|完成全年预算(?:数)?的")

#: Roles a part of a 其中 list may take and still be a flow of the project rather than a
#: part of the amount before it (`支出57.3万元，其中年初预算58万元、追加0.6万元`).
FLOW_PART_KEYS: frozenset[FactKey] = frozenset(
    {
        FactKey.BUDGET_INITIAL,
        FactKey.CARRYOVER_IN,
        FactKey.SUPPLEMENT,
        FactKey.TRANSFER_OUT,
        FactKey.REDUCTION,
        FactKey.CARRYOVER_OUT,
    }
)

#: Words that introduce the parts of a total.
PART_TRIGGER = _p(r"其中|主要包括|包括|分别是|分别为|分别用于|具体为|具体是")

#: Words that introduce an allocation list whose items are projects with their budget.
ALLOCATION_TRIGGER = _p(r"(?:资金)?安排(?:如下|是|为)|分配(?:如下|情况|是|为)|具体如下|明细如下|主要用于以下")

#: Section words of the report itself: a heading made of them names no project.
SECTION_WORDS = _p(
    r"情况|分析|目标|评价|问题|建议|措施|结论|概况|说明|方向|原因|其他|附件|结果|自评|总体|基本|"
    r"指标|绩效|完成|管理|实施|组织|下一步|计划|经验|做法|成效|改进|整改|应用|公开|附表"
)

#: Words a fund's or project's name ends with.
FUND_NOUN = _p(r"(?:专项)?资金|经费|项目|专项|补助|补贴|工程|费|奖补|基金|公益金")

#: Form fields that hold a project's name.
NAME_FIELD = _p(r"(?:转移支付|专项资金)?[(（]?项目[)）]?名称|资金名称|专项名称")

#: Form fields that end a glued name cell (`项目名称初中公用经费主管部门…`).
FORM_FIELD = _p(
    r"主管部门|实施单位|预算单位|资金使用单位|联系人|项目负责人|项目属性|项目类型|中央主管部门|地方主管部门"
)

#: Suffixes that make a line a report's title, and are cut from it to leave the name.
TITLE_SUFFIX = _p(
    r"(?:项目支出|资金支出|支出)?(?:绩效)?(?:目标)?(?:自评价?|评价)(?:报告|表|结果|情况|情况报告)?"
    r"|(?:管理)?使用情况(?:报告|公告)?|绩效(?:评价)?(?:情况)?(?:公告|报告)"
)

#: Organisation pronouns a label may begin with.
SELF_REFERENCE = _p(r"^(?:我|本|该)(?:单位|局|委|部门|中心|校|院|县|区|市|州|旗|镇|乡|办|所|站)")

#: Anaphora for the current project.
ANAPHORA = _p(r"该项目|本项目|此项目|该资金|此项资金|该项资金|本项资金|该专项|本专项")

#: Column headers of a money form and the key each column gives the 年度资金总额 row.
MONEY_COLUMNS: tuple[tuple[re.Pattern[str], FactKey | None], ...] = (
    (_p(r"年初预算"), FactKey.BUDGET_INITIAL),
    (_p(r"全年预算|调整(?:后)?预算|预算数"), FactKey.BUDGET_TOTAL),
    (_p(r"全年执行|执行数|实际支出|支出数|决算数"), FactKey.SPENT),
    (_p(r"执行率|支出率"), FactKey.EXECUTION_RATE),
    (_p(r"分值|得分|权重"), None),
)

#: Row labels of a money form: the whole fund, and the rows of its funding sources.
TOTAL_ROW = _p(r"年度资金总额|资金总额|合计|总计")
SOURCE_ROW = _p(
    r"其中|财政拨款|财政资金|中央|省级|市级|县级|地方|本级|上年结转|结转资金|其他资金|自筹|彩票公益金|资金|"
    r"基本支出|项目支出|人员经费|公用经费|一般公共预算|政府性基金|^按.{1,8}分"
)
#: A row that opens another split of the same total (`按收入性质分`, `按支出性质分`).
GROUP_ROW = _p(r"^按.{1,8}分")

#: Indicator table headers.
INDICATOR_NAME_COLUMN = _p(r"三级指标|指标名称|绩效指标名称")
INDICATOR_TARGET_COLUMN = _p(r"(?:年度)?指标值|目标值|预期(?:指标)?值|计划值|年度目标")
INDICATOR_ACTUAL_COLUMN = _p(r"(?:全年)?实际(?:完成)?值|完成值|实际完成|实际值|完成情况")
INDICATOR_CATEGORY = _p(
    r"(?:数量|质量|时效|成本|经济效益|社会效益|生态效益|可持续影响|满意度|服务对象满意度)指标"
)

#: Economic classifications of basic spending: categories of a department's spending, not projects.
BASIC_SPENDING = _p(r"^(?:人员|公用|日常公用|基本)(?:经费|支出)|工资福利|商品和服务支出|对个人和家庭")

#: What is left of a department's report title once its organisation is cut: no project named.
DEPARTMENT_REPORT = _p(r"(?:部门|单位)?(?:整体)?(?:项目)?(?:支出|预算|决算)?(?:及项目支出)?")

#: A numbered line about the organisation's own totals (`（1）2022年我局资金收入为…`) is a
#: statement, not a project: self-reference, income and grand totals.
NOT_A_PROJECT = _p(r"我(?:局|单位|委|部门|中心|校|院|县|区|市)|本(?:单位|部门|局)|收入|总额|合计|总计|总支出")

#: Rates of a project's own money flow (预算执行率, 资金到位率, 预算资金拨款率): project facts, never
#: indicators, even where a form lists them among the 绩效指标.
MONEY_FLOW_RATE = _p(r"(?:预算|资金)(?:执行|到位|拨款|拨付|支出|使用)率|^执行率$")

#: How the name of a government unit ends (局, 委员会, 中心, 学校 …).
ORGANIZATION_END = _p(r"(?:局|委员会|委|中心|医院|学校|学院|中学|小学|站|所|办公室|厅|处|馆|队|政府|协会)$")

#: Words that compare a quantity with another period or another quantity (增长, 比上年 …).
COMPARISON = _p(r"上年|去年|同比|比上年|较上年|增长|增加|减少|下降|提高|节约|占")

#: How a restated project fact is labelled for the checker's `conflict` rule, one word per key.
FACT_WORDS: dict[FactKey, str] = {
    FactKey.BUDGET_INITIAL: "年初预算",
    FactKey.CARRYOVER_IN: "上年结转",
    FactKey.TRANSFER_IN: "上级转移支付",
    FactKey.TRANSFER_OUT: "调剂",
    FactKey.REDUCTION: "调减",
    FactKey.BUDGET_TOTAL: "全年预算",
    FactKey.SPENT: "实际支出",
    FactKey.CARRYOVER_OUT: "年末结余",  # 结余 is a balance to the checker's label roles
    FactKey.EXECUTION_RATE: "执行率",
}

#: A heading about an aspect of the money, not a project (`（二）资金使用`, `1.项目资金到位情况`).
ASPECT_HEADING = _p(
    r"^(?:项目|专项)?(?:资金|经费|预算|财政资金)(?:来源|使用|到位|拨付|执行|支出|安排|投入|管理|分配|"
    r"下达|结构|构成|收支|情况|概况)?(?:情况|分析)?$"
)

#: A funding source (convention 6): a part of a breakdown, never a child project
#: (`中央补助`, `省级补助资金`, `市级配套`, `本级财政拨款`, `其他资金`).
FUNDING_SOURCE = _p(
    r"^(?:中央|省|市|州|县|区|盟|旗|自治区|本级|上级|地方|其他|社会|单位|自筹)(?:级)?(?:财政)?(?:专项)?"
    r"(?:补助|配套|资金|拨款|投入|自筹|下达|转移支付)?(?:资金|收入)?$"
)

#: A local share of the sources (`市级安排配套资金300万元`, `单位自筹50万元`): a part of the
#: funding, no flow of its own; nearer the number than a flow keyword, it leaves the amount
#: unplaced rather than let `安排` make it the whole budget.
SOURCE_SHARE = _p(r"配套|自筹")

#: A fund phrase that counts or points instead of naming (`两项补贴资金`, `上述资金`): it
#: speaks of the report's own project, never of another one.
VAGUE_FUND = _p(r"^(?:上述|以上|该|此|本)|(?:两|二|三|四|五|六|七|八|九|十|几|多|\d+)(?:项|类|笔|个)")
