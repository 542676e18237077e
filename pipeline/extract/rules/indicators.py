"""Offline rules extractor for performance indicators (绩效指标).

Self-evaluation reports state indicators in two ways, and both are read:

* 绩效自评表 rows, flattened by ingest to tab-separated lines. A header row
  (三级指标/指标名称 … 指标值/目标值 … 完成值/实际值 … 完成率) fixes the columns;
  each following row gives name, target, actual, rate, unit and the 二级指标
  as `category` (vertically merged cells carry down).
* Running text, mostly a phrase followed by a counted quantity
  (`累计摸排国内重点地区来芦人员7832人`, `高血压规范管理率84.36%`), sometimes with
  labelled targets, actuals and completion rates
  (`任务书59000人，实际完成59174人，完成率100.3%`,
  `农村两癌筛查（指标数2450，完成数2564）`, `分别是任务数的101.01%和101.12%`).

Running text is read in four steps:

1. find every quantity: a number followed by a count unit (人, 例, 人次, 万人,
   %, ‰, /10万, …), a bracketed compound unit, a fine (罚款…元) or a number
   after a target/actual label (指标数, 完成数, …); other money is left to the
   projects extractor;
2. name each quantity by the phrase between the previous clause boundary (or
   the previous quantity) and the number, stripped of dates, adverbs and
   linking verbs (`2021年累计…`, `…为`, `…达到`); when that phrase is empty, a
   bare verb or a connector, the noun after the number names it
   (`建成225个常态化便民免费核酸采样点`); short list items borrow the subject of
   the item before (`60岁以上老年人…，全程接种率86.69%`, `上转病人…，下转358人`);
3. decide the role: labels and completion-rate clauses attach to the indicator
   before them; `A、B分别为x、y` / `A和B均为x` distribute; `完成市目标任务N人的X%`
   gives the indicator before it its target N and rate X, and `控制在X以内` its
   target; statements in a 绩效目标 section (a goal heading, a line ending
   `绩效目标情况：`, a `目标为：` sentence, the goal column of a flattened
   goal-versus-result row) or worded as `不低于`/`≥`/`以内` are targets;
4. merge a target-only and an actual-only indicator of the same name, and drop
   repeats (reports often restate a paragraph word for word).

Descriptive counts are skipped by their wording: staff and departments,
units a fund was paid out to, parts of a total just stated (`其中…` lists,
parts that add up to the figure before them), ranks, scores' weights and
budget percentages, counts of projects, contribution rates (费率), shares of
a total (`占…比例`), the places an action covers (`对N个乡镇…进行维护`) and
numbers inside a quoted name. A list ordinal glued to the number after it
(`2.164个` on the line after `1.`) is read as an ordinal. Every number keeps
its exact span in the original text; `name_span` covers the words the name
was taken from.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal

from pipeline.numbers import stated_number
from schemas import Chunk, Document, Indicator, Span, StatedNumber
from schemas.units import INDICATOR_UNITS

#: Units an indicator is counted in, as written after the number (the vocabulary's
#: `INDICATOR_UNITS`: money is deliberately absent, amounts belong to projects).
COUNT_UNITS: tuple[str, ...] = INDICATOR_UNITS

#: Characters that, right after a unit, show the unit was the start of a word
#: (`3个月`, `5人民币`, `2次日`, `99分钟` is handled by the longer unit).
_BAD_FOLLOWERS = "月民日工钟类项型位岗种批级线生元第"

_NUMBER = r"\d+(?:\.\d+)?"
_UNIT_ALTERNATION = "|".join(re.escape(unit) for unit in sorted(COUNT_UNITS, key=len, reverse=True))
#: A counted quantity: number, optional 余/多 (approximate), unit, with an
#: optional per-unit denominator (`0.10只/夹`).
_QUANTITY_RE = re.compile(
    rf"(?<![\d.A-Za-z/\-~～])(?P<number>{_NUMBER})[ \t]?(?P<myriad>万(?=余|多))?(?P<approx>余|多)?[ \t]?"
    rf"(?P<unit>{_UNIT_ALTERNATION})(?P<per>/[\u4e00-\u9fff])?"
    rf"(?![{_BAD_FOLLOWERS}]|方面)"
)

#: A density written with its compound unit in brackets: `5.08〔只/(灯•夜)〕`.
_BRACKETED_UNIT_RE = re.compile(
    rf"(?<![\d.])(?P<number>{_NUMBER})[ \t]?〔(?P<unit>[^〔〕\n，。]{{1,6}}/[^〔〕\n，。]{{1,10}})〕"
)
#: Fines imposed: the one money amount that is a performance figure (监督执法 output).
_PENALTY_RE = re.compile(
    rf"罚(?:款|没款?)(?:人民币|金额|总额|共计|合计|为|达)*[ \t]?(?P<number>{_NUMBER})[ \t]?(?P<unit>万元|元)"
)

#: Labels introducing a target or actual value with or without a unit.
_TARGET_LABELS: tuple[str, ...] = (
    "指标数",
    "指标值",
    "目标值",
    "目标数",
    "任务数",
    "任务书",
    "计划数",
    "计划任务",
    "年度目标",
    "目标任务",
)
_ACTUAL_LABELS: tuple[str, ...] = (
    "实际完成数",
    "实际完成",
    "完成数",
    "完成值",
    "实际值",
    "实际数",
    "有效管理",
    "已完成",
    "完成",
)
_LABELLED_VALUE_RE = re.compile(
    rf"(?P<label>{'|'.join(sorted(_TARGET_LABELS + _ACTUAL_LABELS, key=len, reverse=True))})"
    rf"(?:为|是|[:：])?[ \t]?(?P<number>{_NUMBER})"
    rf"(?=[ \t]*(?:[，,。；;、）)\n]|$))"
)

#: A completion rate relative to the indicator(s) stated just before.
_RATE_NAME_RE = re.compile(r"^(?:任务|指标|全年任务|年度任务)?(?:完成率|达成率|完成比例)$")
_RATE_OF_TASK_RE = re.compile(
    r"(?:分别)?(?:是|为|占|达到?)?(?:全年|年度)?(?:任务数|任务|目标任务|指标数|计划数?)的$"
)

#: Where a name stops, looking back from its number.
_CLAUSE_BOUNDARY = set("，,。；;：:！？!?\n（(）)【】[]|")  # `|`: a flattened table's cell edge
#: Quote marks: kept in the text, dropped from names (gold names carry none).
_QUOTES = '“”‘’"「」『』'

#: Leading words that are not part of an indicator's name.
_LEADING_NOISE_RE = re.compile(
    r"^(?:"
    r"[、，,和及与并且以及另还]+|对|向|为(?!期)|[（(]?\d{1,2}[）)、.．](?!\d)"
    r"|通过|经过|在(?!册|编|职|岗|校|院)|(?:截至|截止|截止到|截至到)(?:\d{4}年)?(?:\d{1,2}月)?(?:\d{1,2}日)?(?:\d{1,2}时)?(?:底|末|止|前)?"
    r"|\d{4}年(?:度|全年|年底|年末|底|末|内|起|以来|年)?"
    r"|\d{1,2}月(?:份)?(?:\d{1,2}日)?(?:\d{1,2}时)?(?:前|止|底)?"
    r"|前期|此前|近期|期间|做到|今年以来|今年|本年度|本年|年内|全年|当年|目前|现已|现|已经|已|当前|同时|此外|其中|另外"
    r"|一共|共计|共有|总计|合计|累计|共|计(?!划)"
    r"|全区|全县|全市|全省|我区|我县|我市|我局|我队|我委|我单位|辖区内?|区域内"
    r"|及时|持续|继续|积极|先后|快速|顺利|圆满|全面|认真|共同|均|总共|又"
    r"|完成了|完成(?![率数值量比])|开展了|开展|实现了|实现(?![率数值])|落实|建成了|建成|举办了?|打造了?|新增|成功|正在|产生"
    r")"
)
#: Trailing linking words between a name and its number.
_TRAILING_NOISE_RE = re.compile(
    r"(?:"
    r"分别为|分别是|分别达到?|均为|均达到?|均|分别"
    r"|人民币|已达到|达到了|达到|已达|达|保持在|维持在|稳定在|控制在|持续保持在|为|是|有|约|近|超过|超|共计|共|累计|计|合计|总计"
    r"|不低于|不少于|不超过|在|[≥≤＞＜>]=?"
    r")$"
)
#: Wording that marks a value as a goal rather than an achievement.
_TARGET_WORDING_RE = re.compile(r"(?:不低于|不少于|力争|确保|目标为?|计划|控制在|不超过|不高于|[≥≤＞＜>]=?)$")
#: A sentence that states goals from here on (`总体绩效目标是：…，更新器材46个点位`, `年度目标：…`).
_GOAL_CLAUSE_RE = re.compile(r"目标(?:任务)?(?:是|为|[:：])")

#: Sentences about the organisation and its staff, not performance.
_ORGANISATION_RE = re.compile(
    r"编制|在编|在职|退休|离休|实有|工勤|内设|科室|股室|局长|主任|书记|工作组|督查组|专班"
    r"|预算单位|事业单位|二级机构|直属|下属|所属|下设|设有|聘用|职工|干部|党员|人员情况"
)
#: The subset that marks a whole sentence as describing the organisation.
_ORGANISATION_SENTENCE_RE = re.compile(r"编制|在编|在职|退休|实有|内设|直属|下设|人员情况|事业单位")
#: Money wording: a percentage named so is a budget ratio (预算执行率), not an indicator.
_MONEY_NAME_RE = re.compile(r"预算|支出|决算|经费|执行率|结余|结转|收入|财政|拨款|支付|元")
#: A 绩效自评表 header whose cells lost their separators (PDF text): target and actual columns.
_TABLE_HEADER_TEXT_RE = re.compile(
    r"(?:指标名称|三级指标|绩效指标)[^\n]{0,40}?(?:指标值|目标值|计划值|预期值)[^\n]{0,20}?(?:完成值|实际值|实际完成)"
)
#: Words that name a monitoring or survey activity, and a clause naming one after its verb.
_ACTIVITY_WORD_RE = re.compile(r"监测|调查|检测|筛查|普查|抽检")
_ACTIVITY_RE = re.compile(
    r"(?:完成了?|开展了?|加强|组织|进行|推进|落实)(?P<activity>[^，。；、\d]{2,20}?(?:监测|调查|检测|筛查|普查|抽检))"
)
#: Funding wording: counts of the units a fund reached are not indicators.
_FUNDING_RE = re.compile(r"\d[ \t]?(?:元|万元)|经费|资金|拨付|下拨|补助|用于")
#: Change and comparison wording (比上年增加3%), never an indicator's value.
_COMPARISON_RE = re.compile(
    r"比上年|同比|环比|较上年|增长|增加|减少|下降|上涨|上升|提高了?|降低了?|占总|排名|第$"
    r"|满分|分值|权重|总分"
)
#: A name that is only a verb: the counted noun follows the number (`抽派316名医务人员`).
_BARE_VERB_RE = re.compile(
    r"(?:(?:为|向|给)?(?:发放|抽派|上报|推动|建设|打造|开设|拨付|引进|培养|签订|组建|设置|配备|购买"
    r"|新建|改造|招聘|培训|救治|收治|建成|完成|共有|有|新增|设立|成立|组织|创建|建立|发现)了?)$"
)
#: A name that ends in a function word or starts a purpose clause is no name.
_NOT_A_NAME_RE = re.compile(
    r"(?:至|的|给|对|向|于|从|将|把|按|由|在|以|等|年度|及|为)$|^(?:根据|按照|依据|通过|主要|对|每|由|第[一二三四五六七八九十\d]+$)|用于"
    r"|^(?:完成|执行|实施)?情况$"
)

#: A task a figure is measured against: `完成市目标任务`, `完成县下达任务数`, `完成上级下达任务人数`
#: (then `N人的X%`: N is the target, X the completion rate).
_TASK_OF_RE = re.compile(
    r"^(?:已|均|全面)?(?:完成了?|达到|占|超额完成)?(?:全市|全县|全区|全省|[省市县区州]级?|上级|国家|全年|年度)?"
    r"(?:下达的?|分配的?|确定的?)?(?:目标)?(?:任务|计划|指标)(?:数|人数|量|数量)?(?:为|是|[:：])?$"
)
#: An upper bound written before the number (`控制在`, `不超过`, `低于`) …
_UPPER_BOUND_BEFORE_RE = re.compile(r"(?:并|均|且)?(?:控制在|控制|不超过|不高于|低于|小于|[≤<＜])")
#: … or after it (`4.5%以内`, `5‰以下`): a limit set as the target.
_UPPER_BOUND_AFTER_RE = re.compile(r"[ \t]*(?:以内|以下|之内)")

#: After a count of organisations: the clause goes on to pay them (`…家企业发放稳岗补贴`).
_PAID_TO_RE = re.compile(r"[^，,。；;\d]{0,12}?(?:发放|拨付|下拨|补助|兑付)")
#: After a count of people introduced by 为/向: what was granted to them names the indicator
#: (`为44名毕业生发放见习补贴` -> 发放见习补贴).
_GRANTED_RE = re.compile(r"[^，,。；;\d]{0,15}?(?P<grant>(?:发放|兑付|兑现)[^，,。；;\d的]{2,12})")
#: Units that count people, the beneficiaries of a grant.
_PEOPLE_UNITS = ("人", "名", "户", "人次", "万人", "万人次")

#: What a clause-opening percentage is a share of: `80%以上的县级机构达到建设要求`.
_PERCENT_SUBJECT_RE = re.compile(
    r"[ \t]*(?:以上|以下|左右)?的(?P<subject>[^，,。；;\d]{4,40}?)(?=[，,。；;\n]|$)"
)

#: Counts of projects (`项目21个`, `共预算项目7个`, `参与评价的项目共4个`) describe the
#: report's scope, never a performance.
_PROJECT_COUNT_RE = re.compile(r"项目(?:数|总数|数量)?$")
#: Rates that are policy settings, not results: contribution rates (单位费率, 征缴费率) and
#: contribution shares (缴费比例).
_RATE_SETTING_RE = re.compile(r"费率|缴费比例|缴存比例|缴纳比例")

#: Indicator names shorter than this carry no meaning on their own.
_MIN_NAME_LENGTH = 2
#: Names longer than this are sentences, not indicator names.
_MAX_NAME_LENGTH = 40


@dataclass
class _Quantity:
    """A number found in the normalised text, before it becomes a field."""

    number_start: int
    number_end: int
    end: int
    unit: str | None
    label: str | None = None  # target/actual label that introduced it


@dataclass
class _Draft:
    """An indicator being assembled from one or more quantities."""

    name: str
    name_start: int
    name_end: int
    position: int  # offset of its number in the normalised text (chunk lookup)
    unit: str | None
    target: StatedNumber | None = None
    actual: StatedNumber | None = None
    rate: StatedNumber | None = None
    sentence_id: int = 0
    category: str | None = None


def _unit_of(match: re.Match[str]) -> str:
    unit = match.group("unit")
    if unit == "％":
        unit = "%"
    if match.group("myriad"):
        unit = "万" + unit
    per = match.group("per")
    return unit + per if per else unit


#: A list ordinal at a line start: `2.` / `2、` / `（2）`, with the number it carries.
_LINE_ORDINAL_RE = re.compile(
    r"^[ \t\u3000]*(?:(?P<dotted>\d{1,2})[.．、]|[（(](?P<bracketed>\d{1,2})[）)])", re.MULTILINE
)


def _mask_glued_ordinals(text: str) -> str:
    """`text` with list ordinals that touch a number blanked out, offsets unchanged.

    PDF text loses the space after a list number, so the second item of
    `1.确保…` / `2.164个农家书屋…` reads as 2.164. An ordinal is taken as such
    when it continues the numbering of the list line before it (n follows n-1).
    """
    masked = list(text)
    previous: tuple[int, int] | None = None  # number and end of the last list ordinal
    for match in _LINE_ORDINAL_RE.finditer(text):
        number = int(match.group("dotted") or match.group("bracketed"))
        line_start = text.rfind("\n", 0, match.start() + 1) + 1
        continues = (
            previous is not None
            and number == previous[0] + 1
            and text.count("\n", previous[1], line_start) <= 3
        )
        end = match.end()
        if continues and match.group("dotted") and end < len(text) and text[end].isdigit():
            for position in range(match.start("dotted"), end):
                masked[position] = " "
        previous = (number, end)
    return "".join(masked)


def _find_quantities(text: str) -> list[_Quantity]:
    """Every counted quantity and every labelled unitless value, in text order."""
    text = _mask_glued_ordinals(text)
    quantities: list[_Quantity] = []
    taken: set[int] = set()
    for match in _QUANTITY_RE.finditer(text):
        if text[max(0, match.start() - 1) : match.start()] in ("第", "每", "前", "近"):
            continue
        quantities.append(
            _Quantity(
                number_start=match.start("number"),
                number_end=match.end("number"),
                end=match.end(),
                unit=_unit_of(match),
            )
        )
        taken.add(match.start("number"))
    for pattern in (_BRACKETED_UNIT_RE, _PENALTY_RE):
        for match in pattern.finditer(text):
            if match.start("number") in taken:
                continue
            quantities.append(
                _Quantity(
                    number_start=match.start("number"),
                    number_end=match.end("number"),
                    end=match.end(),
                    unit=match.group("unit"),
                )
            )
            taken.add(match.start("number"))
    for match in _LABELLED_VALUE_RE.finditer(text):
        if match.start("number") in taken:
            continue
        quantities.append(
            _Quantity(
                number_start=match.start("number"),
                number_end=match.end("number"),
                end=match.end(),
                unit=None,
                label=match.group("label"),
            )
        )
    quantities.sort(key=lambda quantity: quantity.number_start)
    return quantities


def _clean_name(raw: str) -> tuple[str, int, int]:
    """The name in `raw` with leading/trailing noise removed, and the `[start, end)` of the
    words it was taken from within `raw` (quote marks and 累计 are dropped from the name only)."""
    blanks = " \t\u3000"
    start, end = len(raw) - len(raw.lstrip(blanks)), len(raw.rstrip(blanks))
    while start < end:
        match = _LEADING_NOISE_RE.match(raw[start:end])
        if not match or not match.group(0):
            break
        start += match.end()
        while start < end and raw[start] in blanks:
            start += 1
    while start < end:
        match = _TRAILING_NOISE_RE.search(raw, start, end)
        if not match or not match.group(0):
            break
        end = match.start()
        while end > start and raw[end - 1] in blanks:
            end -= 1
    actions = list(
        re.finditer(r"开展了?|完成了?|进行了?|分配(?:给)?(?:我区|我县|我市|本区)?", raw[start:end])
    )
    action = actions[-1] if actions else None
    if action is not None and action.start() > 0 and end - start - action.end() >= 2:
        start += action.end()
    name = raw[start:end].replace("累计", "")
    name = "".join(char for char in name if char not in _QUOTES)
    return name, start, end


#: A list number at the start of a line: 一、 （一） 1、 1. （1）.
_LIST_MARKER_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[、.．])\s*"
)
#: A line that announces the indicator class of what it states: `1.产出指标：…`.
_CATEGORY_LINE_RE = re.compile(
    r"(?P<category>产出|效益|满意度|数量|质量|时效|成本|社会效益|经济效益|生态效益|可持续影响"
    r"|服务对象满意度)指标[:：]"
)


def _line_category(text: str, position: int) -> str | None:
    """The indicator class the line holding `position` opens with (`2.效益指标：…` -> 效益)."""
    line_start = text.rfind("\n", 0, position) + 1
    line = _LIST_MARKER_RE.sub("", text[line_start:position].lstrip(" \t\u3000"))
    match = _CATEGORY_LINE_RE.match(line)
    return match.group("category") if match else None


#: A line that ends by announcing goals (`…专项资金预算N万元，绩效目标情况：`, `年度绩效目标为：`):
#: the lines after it state targets even though the line itself is long or holds numbers.
_GOAL_LEAD_IN_RE = re.compile(
    r"(?:绩效|年度|总体|年初设定的?|预期|整体)目标(?:情况|如下|是|为)?[:：][ \t|]*$"
)
#: A short line about goals being met (`年度总体目标完成情况综述`, `绩效目标完成情况`): results follow.
_GOAL_RESULTS_RE = re.compile(r"目标[^。]{0,6}(?:完成|实现|实际|情况|结果|偏差)|(?:实际完成|完成情况)")


def _target_section_starts(text: str) -> list[tuple[int, bool]]:
    """(offset, is_goal_section) marks: a heading about 绩效目标 opens a goal section; the next
    numbered heading, or a line announcing how the goals were met, closes it."""
    marks: list[tuple[int, bool]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip(" \t\u3000\n")
        is_short = 0 < len(stripped) <= 40 and "。" not in stripped[:-1]
        unnumbered = _LIST_MARKER_RE.sub("", stripped)
        if is_short and "目标" in stripped and not re.search(r"\d|完成|实现|情况|结果|偏差", unnumbered):
            marks.append((offset, True))
        elif _GOAL_LEAD_IN_RE.search(stripped):
            marks.append((offset + len(line), True))
        elif re.match(r"[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]", stripped) or (
            is_short and marks and marks[-1][1] and _GOAL_RESULTS_RE.search(stripped)
        ):
            marks.append((offset, False))
        offset += len(line)
    return marks


#: Header cells of a goal-versus-result table row (`总体目标 | 全年实际完成情况`).
_GOAL_CELL_RE = re.compile(r"(?:年度|总体|年度总体|年初设定的?|预期|绩效)?目标")
_RESULT_CELL_RE = re.compile(r"(?:全年|年度)?实际完成(?:情况|值)?|(?:年度)?(?:总体)?目标完成情况(?:综述)?")


def _goal_cells(text: str) -> list[tuple[int, int]]:
    """Spans of `|`-separated cells that sit under a goal column whose header row also has a
    result column: the goal's figures are targets. Rows are matched to the header by their
    non-empty cells in order (a merged row label leaves the row one cell short)."""
    spans: list[tuple[int, int]] = []
    header: tuple[int, int] | None = None  # goal column and count of the header's non-empty cells
    offset = 0
    for line in text.splitlines(keepends=True):
        line_start, offset = offset, offset + len(line)
        if "|" not in line:
            header = None
            continue
        cells, starts, position = [], [], line_start
        for cell in line.rstrip("\r\n").split("|"):
            if cell.strip():
                cells.append(cell.strip())
                starts.append((position, position + len(cell)))
            position += len(cell) + 1
        goal = next((i for i, cell in enumerate(cells) if _GOAL_CELL_RE.fullmatch(cell)), None)
        result = next(
            (
                i
                for i, cell in enumerate(cells)
                if goal is not None and i > goal and _RESULT_CELL_RE.fullmatch(cell)
            ),
            None,
        )
        if goal is not None and result is not None:
            header = (goal, len(cells))
            continue
        if header is not None:
            # align from the right: a row missing its merged label cell is one cell short
            column = header[0] - max(0, header[1] - len(cells))
            if 0 <= column < len(cells) and len(cells) >= 2:
                spans.append(starts[column])
        header = None
    return spans


_CLAUSE_END_RE = re.compile(r"[，,。；;\n]")


def _in_goal_section(marks: list[tuple[int, bool]], offsets: list[int], position: int) -> bool:
    """Whether `position` lies in a goal section; `offsets` are the marks' offsets, built once
    per document (rebuilding them on every call made large texts quadratic)."""
    index = bisect_right(offsets, position) - 1
    return index >= 0 and marks[index][1]


def _split_items(name: str) -> list[str]:
    """`A、B` / `A和B` for a name that governs several values (分别/均)."""
    parts = [part for part in re.split(r"[、和]", name) if part]
    return parts if len(parts) > 1 else [name]


def _share_words(items: list[str]) -> list[str]:
    """Give list items the words they share: `血压、血糖规范管理率` -> 血压规范管理率, 血糖规范管理率;
    `肺结核患者管理率和规则服药率` -> 肺结核患者管理率, 肺结核患者规则服药率."""
    first, last = items[0], items[-1]
    measure_ends = ("率", "数", "量")
    shared: list[str] = []
    for item in items:
        if item is not last and not item.endswith(measure_ends) and last.endswith(measure_ends):
            # suffix sharing: the last item carries the measure for all
            suffix = last[len(item) :] if len(last) > len(item) else ""
            shared.append(item + suffix)
        elif (
            item is not first and len(first) >= len(item) + 3 and first.endswith("率") == item.endswith("率")
        ):
            # prefix sharing: the first item carries the subject for all
            anchor = first.find(item[0], 1)
            prefix = first[:anchor] if anchor > 0 else first[:-3]
            shared.append(prefix + item)
        else:
            shared.append(item)
    return shared


def _sentence_ends(text: str) -> list[int]:
    """Offsets where sentences (and ；-separated sentence parts) end."""
    return [match.end() for match in re.finditer(r"[。；;！？\n]", text)]


def _name_boundary(text: str, number_start: int, floor: int) -> int:
    """Where the phrase naming the number at `number_start` begins.

    Looks back to a clause boundary or `floor` (the end of the previous
    quantity); a short bracketed aside without digits (`（含手术并发症）`) is
    part of the name.
    """
    position = number_start
    while position > floor:
        char = text[position - 1]
        if char in "）)":
            opening = max(text.rfind("（", floor, position - 1), text.rfind("(", floor, position - 1))
            inside = text[opening + 1 : position - 1]
            if opening >= floor and len(inside) <= 15 and not re.search(r"\d|[，。；]", inside):
                position = opening
                continue
        if char in _CLAUSE_BOUNDARY:
            break
        position -= 1
    return position


def _following_noun(text: str, start: int) -> tuple[str, int]:
    """The noun phrase right after a counted number (`…316名医务人员驻守…`) and where it ends."""
    position = start
    limit = min(len(text), start + 30)
    while position < limit:
        char = text[position]
        if char == "（":
            closing = text.find("）", position, limit + 10)
            if 0 < closing - position <= 15 and not re.search(r"\d", text[position:closing]):
                position = closing + 1
                continue
        if char in _CLAUSE_BOUNDARY or char in "、和及的" or text.startswith(("以及", "方面"), position):
            break
        if char.isdigit() and not re.match(r"\d+(?:-\d+)?岁", text[position : position + 6]):
            break
        position += 1
    noun = "".join(char for char in text[start:position] if char not in _QUOTES)
    return noun, position


def _line_subject(text: str, position: int) -> str | None:
    """The item named at the start of the line holding `position` (`（2）2022年农村奖励扶助项目支出…`)."""
    line_start = text.rfind("\n", 0, position) + 1
    line = text[line_start:position]
    match = re.match(
        r"[ \t\u3000]*(?:\d{1,2}[、.]|[（(]\d{1,2}[）)])[ \t]*(?:项目)?[“\"]?"
        r"(?P<subject>[^，。；“”\"]{2,30}?)[”\"]?(?:项目|专项)",
        line,
    ) or re.match(r"[ \t\u3000]*(?P<subject>[^，。；\d]{2,20}?)(?:项目|专项)[。．.]", line)
    return match.group("subject") if match else None


def _previous_name_cell(text: str, edge: int, floor: int) -> tuple[str, int, int] | None:
    """The nearest cell left of the `|` at `edge`, on the same line and after `floor`, that
    reads as a name (two or more CJK characters, no digits), with its span."""
    line_start = max(text.rfind("\n", 0, edge) + 1, floor)
    end = edge
    while end > line_start:
        start = max(text.rfind("|", line_start, end) + 1, line_start)
        name, name_start, name_end = _clean_name(text[start:end])
        if re.search(r"\d", name):
            return None
        if len(re.findall(r"[\u4e00-\u9fff]", name)) >= _MIN_NAME_LENGTH:
            return name, start + name_start, start + name_end
        end = start - 1
    return None


def _line_label(text: str, position: int) -> str | None:
    """The label a line opens with, `名称：` or `名称:`, when the count is stated after it."""
    line_start = text.rfind("\n", 0, position) + 1
    line = _LIST_MARKER_RE.sub("", text[line_start:position].lstrip(" \t\u3000"))
    match = re.match(r"(?P<label>[^，,。；;：:\d|]{2,20})[：:]", line)
    if match is None or _CATEGORY_LINE_RE.match(line):
        return None
    return match.group("label").strip(" \t") or None


def _inherit_subject(name: str, previous: str) -> str:
    """A short name in a list takes the subject of the item before it:
    `60岁以上老年人第一剂接种…，全程接种率86.69%` -> 60岁以上老年人全程接种率;
    `医共体上转病人3134人，下转358人` -> 医共体下转病人 (parallel wording)."""
    if len(name) > 5 or len(previous) <= len(name):
        return name
    if len(name) <= 3 and previous.endswith(name):
        return previous  # the same activity counted again (开展技能培训49期，培训2399人)
    if 2 <= len(name) <= 3:
        position = previous.rfind(name[1:])
        if position >= 1 and previous[position - 1] != name[0]:
            return previous[: position - 1] + name + previous[position + len(name) - 1 :]
    anchor = previous.find(name[:2], 1)
    if anchor > 0 and "岁" in previous[:anchor]:
        return previous[:anchor] + name
    age_group = re.match(r".*?\d+岁[^，、\d]*?(?:人群|老年人|儿童|人)", previous)
    if age_group is not None and age_group.end() < len(previous):
        return age_group.group(0) + name
    patients = previous.rfind("患者", 0, len(previous) - 2)
    if patients >= 2 and len(name) <= 3:
        return previous[: patients + 2] + name
    return name


def extract_indicators(document: Document, chunks: list[Chunk]) -> list[Indicator]:
    """Indicators stated in `document`, each number spanned in the original text.

    `chunks` only assign `chunk_id`; the whole normalised text is scanned so
    that an indicator cut by a chunk boundary is still read whole.
    """
    table_drafts, table_rows = _table_indicators(document)
    text_drafts = [
        draft for draft in _RunningText(document).read() if not _inside(table_rows, draft.position)
    ]
    return _finish(document, _merge(table_drafts + text_drafts), chunks)


@dataclass
class _Clause:
    """One quantity of the running text with the words that name it."""

    index: int
    quantity: _Quantity
    number: StatedNumber
    raw_name: str  # the text between the clause boundary and the number
    boundary: int
    name: str  # raw_name cleaned of dates, adverbs and linking verbs
    name_start: int
    name_end: int
    sentence_id: int
    sentence_start: int

    @property
    def unit(self) -> str | None:
        return self.quantity.unit


class _RunningText:
    """Reads indicators from running text, one quantity at a time, in text order.

    State carried between quantities: the indicators of the current sentence
    (`recent`, which later rates, labels and list items attach to), the end of
    the last quantity (a name never reaches back past it), and the quantities
    already used up by a 分别 list or a sum of parts.
    """

    def __init__(self, document: Document) -> None:
        self.document = document
        self.text = document.text
        self.quantities = _find_quantities(self.text)
        self.goal_marks = _target_section_starts(self.text)
        self.goal_cells = _goal_cells(self.text)
        self.goal_offsets = [offset for offset, _ in self.goal_marks]
        self.sentence_ends = _sentence_ends(self.text)
        self.drafts: list[_Draft] = []
        self.recent: list[_Draft] = []
        self.previous_end = 0
        self.consumed: set[int] = _summing_parts(document, self.quantities)
        self.shared_nouns: dict[int, tuple[str, int]] = {}  # quantity index -> shared noun, its end
        self.table_context = _TABLE_HEADER_TEXT_RE.search(self.text) is not None
        self.activity: tuple[int, str] | None = None  # (sentence, activity) the current list counts for

    def read(self) -> list[_Draft]:
        for index, quantity in enumerate(self.quantities):
            if index in self.consumed:
                continue
            clause = self._clause(index, quantity)
            if self._read_task_share(clause) or self._read_bound(clause):
                continue
            if self._read_rate(clause) or self._read_labelled(clause):
                continue
            self._read_plain(clause)
        return self.drafts

    def _add(self, draft: _Draft) -> None:
        self.drafts.append(draft)
        self.recent.append(draft)

    def _clause(self, index: int, quantity: _Quantity) -> _Clause:
        text = self.text
        sentence_id = bisect_right(self.sentence_ends, quantity.number_start)
        if self.recent and self.recent[-1].sentence_id != sentence_id:
            self.recent = []
        sentence_start = self.sentence_ends[sentence_id - 1] if sentence_id > 0 else 0
        boundary = _name_boundary(text, quantity.number_start, max(self.previous_end, sentence_start))
        if re.fullmatch(r"[ \t\u3000]*\d{1,2}[.．、][ \t]*", text[boundary : quantity.number_start]):
            boundary = quantity.number_start  # only the list ordinal glued to the number
        raw_name = text[boundary : quantity.number_start]
        name, name_start, name_end = _clean_name(raw_name)
        name_start, name_end = boundary + name_start, boundary + name_end
        if not name.strip(" \t≥≤><=＞＜") and text[boundary - 1 : boundary] == "|":
            cell = _previous_name_cell(text, boundary - 1, max(self.previous_end, sentence_start))
            if cell is not None:  # `享受救助人次 | ≥500人次`: the row's name cell names the value
                name, name_start, name_end = cell
        if "分别" in name[:-2]:
            respectively = text.find("分别", name_start, name_end)
            name_start = min(respectively + 3, name_end)
            name = name[name.index("分别") + 3 :]
        self.previous_end = quantity.end
        number = stated_number(self.document, quantity.number_start, quantity.number_end, quantity.unit)
        return _Clause(
            index=index,
            quantity=quantity,
            number=number,
            raw_name=raw_name,
            boundary=boundary,
            name=name,
            name_start=name_start,
            name_end=name_end,
            sentence_id=sentence_id,
            sentence_start=sentence_start,
        )

    def _owner(self, unit: str | None) -> _Draft | None:
        """The latest indicator of this sentence counted in `unit` that has no target yet."""
        return next(
            (draft for draft in reversed(self.recent) if draft.target is None and draft.unit in (unit, None)),
            None,
        )

    def _read_task_share(self, clause: _Clause) -> bool:
        """`…人数为A人，完成市目标任务B人的C%`: B is the target and C the completion rate of the
        indicator just stated, not an indicator named after 目标."""
        quantity, text = clause.quantity, self.text
        if clause.unit in (None, "%") or not _TASK_OF_RE.match(clause.raw_name.strip(" \t，,")):
            return False
        following = clause.index + 1
        if following >= len(self.quantities) or self.quantities[following].unit != "%":
            return False
        share = self.quantities[following]
        if text[quantity.end : share.number_start].strip(" \t") != "的":
            return False
        owner = self._owner(clause.unit)
        self.consumed.add(following)
        self.previous_end = share.end
        if owner is None:
            return True  # a share of a task with nothing stated before it to attach to
        owner.target = clause.number
        owner.unit = owner.unit or clause.unit
        if owner.rate is None:
            owner.rate = stated_number(self.document, share.number_start, share.number_end, "%")
        return True

    def _read_bound(self, clause: _Clause) -> bool:
        """`失业率为2.42%，控制在4.5%以内`: a bare upper bound after an indicator is its target."""
        quantity, text = clause.quantity, self.text
        after = text[quantity.end : quantity.end + 3]
        bound_before = _UPPER_BOUND_BEFORE_RE.fullmatch(clause.raw_name.strip(" \t，,"))
        if bound_before is None and not (clause.name == "" and _UPPER_BOUND_AFTER_RE.match(after)):
            return False
        owner = self._owner(clause.unit)
        if owner is None or owner.actual is None:
            return False
        owner.target = clause.number
        bound_after = _UPPER_BOUND_AFTER_RE.match(after)
        if bound_after is not None:
            self.previous_end = quantity.end + bound_after.end()
        return True

    def _read_rate(self, clause: _Clause) -> bool:
        """A completion rate: for what was just stated, or an indicator of its own."""
        if clause.unit != "%":
            return False
        name, raw_name, number, recent = clause.name, clause.raw_name, clause.number, self.recent
        if recent and (_RATE_NAME_RE.match(name) or _RATE_OF_TASK_RE.search(raw_name)):
            owners = [draft for draft in recent if draft.rate is None]
            if "分别" in raw_name and len(owners) > 1:  # 分别是任务数的101.01%和101.12%
                values = _distributed_values(self.document, self.quantities, clause.index, len(owners), "%")
                self.consumed.update(range(clause.index + 1, clause.index + len(values)))
                self.previous_end = self.quantities[clause.index + len(values) - 1].end
                for owner, value in zip(owners, values, strict=False):
                    owner.rate = value
            elif "均" in raw_name:  # 任务完成率均为100%
                for owner in owners:
                    owner.rate = number
            elif owners:
                owners[-1].rate = number
            return True
        if name.endswith(("完成率", "达成率")) and len(name) > 3:
            stem = name[:-3]
            stated = next(
                (draft for draft in reversed(recent) if draft.rate is None and stem[-2:] in draft.name),
                None,
            )
            if stated is not None:  # …第一剂次累计接种34402剂，第一剂接种完成率达104.15%
                stated.rate = number
            else:  # 流动人群血吸虫病监测任务完成率为100%
                self._add(
                    _Draft(
                        name=stem,
                        name_start=clause.name_start,
                        name_end=max(clause.name_start, clause.name_end - 3),
                        position=clause.quantity.number_start,
                        unit=None,
                        rate=number,
                        sentence_id=clause.sentence_id,
                    )
                )
            return True
        if (
            recent
            and len(name) <= 4
            and name.endswith("率")
            and name[:-1] in recent[-1].name
            and recent[-1].target is not None
            and recent[-1].actual is not None
            and recent[-1].rate is None
        ):
            recent[-1].rate = number  # 管理数300人、有效管理299人、管理率99.67%
            return True
        return False

    def _read_labelled(self, clause: _Clause) -> bool:
        """A value introduced by a target/actual label, alone or for the indicator just stated."""
        name, number, recent, quantity = clause.name, clause.number, self.recent, clause.quantity
        if (
            name in (*_TARGET_LABELS, "目标", "计划", "指标")
            and recent
            and recent[-1].target is None
            and recent[-1].unit in (clause.unit, None)
        ):
            recent[-1].target = number  # 孕产妇系统管理率95.2%，目标值为90%
            return True
        label = quantity.label or (name if name in _ACTUAL_LABELS else None)
        cell_edge = self.text[clause.boundary - 1 : clause.boundary] == "|"
        if (
            label is None
            and not name
            and (self.table_context or cell_edge)
            and recent
            and recent[-1].target is None
            and recent[-1].unit == clause.unit
            and not self.text[clause.boundary : quantity.number_start].strip()
            and clause.boundary == self.quantities[clause.index - 1].end
        ):
            label = "实际完成"  # a flattened table row: 健康体检人数5000人 5236人
        previous = self.quantities[clause.index - 1] if clause.index > 0 else None
        if (
            label is None
            and not name
            and cell_edge
            and previous is not None
            and re.fullmatch(r"[ \t]*\|[ \t]*", self.text[previous.end : quantity.number_start])
            and recent
            and recent[-1].target is not None
            and recent[-1].actual is None
            and recent[-1].unit == clause.unit
        ):
            label = "实际完成"  # the next cell of a `|` row: 名称 | ≥500人次 | 612人次
        if label is None and name.startswith("实际") and len(name) <= 8 and recent:
            label = "实际完成"  # 服务对象满意度达到95%，实际调查满意度96.8%
        if label in _ACTUAL_LABELS and recent:  # …任务书59000人，实际完成59174人
            owner = recent[-1]
            if owner.actual is not None and owner.target is None:
                owner.target, owner.actual = owner.actual, number
            elif owner.actual is None:
                owner.actual = number
            if owner.unit is None:
                owner.unit = clause.unit
            return True
        if quantity.label is None:
            return False
        # 农村两癌筛查（指标数2450，完成数2564）: the name stands before the bracket
        owner_name, name_start, name_end = name, clause.name_start, clause.name_end
        if not owner_name or owner_name in _TARGET_LABELS:
            bracket = self.text.rfind("（", 0, quantity.number_start)
            if bracket < 0 or quantity.number_start - bracket > 12:
                return True
            start = bracket
            while start > 0 and self.text[start - 1] not in _CLAUSE_BOUNDARY and self.text[start - 1] != "、":
                start -= 1
            owner_name, name_start, name_end = _clean_name(self.text[start:bracket])
            name_start, name_end = start + name_start, start + name_end
        if owner_name:
            draft = _Draft(
                name=owner_name,
                name_start=name_start,
                name_end=name_end,
                position=quantity.number_start,
                unit=clause.unit,
                sentence_id=clause.sentence_id,
            )
            if quantity.label in _TARGET_LABELS:
                draft.target = number
            else:
                draft.actual = number
            self._add(draft)
        return True

    def _is_descriptive(self, clause: _Clause) -> bool:
        """True for counts the sentence shows are not performance (staff, parts, fund recipients)."""
        text, unit = self.text, clause.unit
        sentence_so_far = text[clause.sentence_start : clause.quantity.number_start]
        if _ORGANISATION_SENTENCE_RE.search(sentence_so_far):
            return True
        if unit != "%" and _is_listed_part(
            text, self.quantities, clause.index, sentence_so_far, clause.sentence_start
        ):
            return True  # parts of a total just stated, not indicators of their own
        if unit in ("个", "家") and (
            _FUNDING_RE.search(sentence_so_far) or _PAID_TO_RE.match(text, clause.quantity.end)
        ):
            return True  # the units a fund was paid out to (拨付至5个社区卫生服务中心, 向9家企业发放)
        if unit != "%" and self._is_scope_of_action(clause):
            return True  # what an action covers, not what it achieved (对12个乡镇进行维护)
        if unit == "%" and self._is_share_of_total(clause):
            return True
        if unit == "分" and (
            text[clause.quantity.number_start - 1 : clause.quantity.number_start] in ("（", "(")
            or clause.raw_name.rstrip().endswith("得")
        ):
            return True  # a score's weight `（10分）` or points earned by a criterion (…得1分)
        if sentence_so_far.count("“") > sentence_so_far.count("”"):
            closing = text.find("”", clause.quantity.end, clause.quantity.end + 12)
            if closing >= 0:
                return True  # part of a quoted name (“15分钟阅读圈”建设)
        return sentence_so_far.count("《") > sentence_so_far.count("》")  # inside a document title

    def _is_scope_of_action(self, clause: _Clause) -> bool:
        """True for a count that says where an action took place when the action is measured on
        its own or introduced by 对: `对12个乡镇的设备进行维护`, `为5个书屋进行图书更新300册`.
        A bare `4家医院进行软件部署` (nothing else counted) stays an indicator."""
        text, quantity = self.text, clause.quantity
        clause_end = _CLAUSE_END_RE.search(text, quantity.end)  # no slice of the whole rest: linear
        rest_end = clause_end.start() if clause_end else len(text)
        rest = text[quantity.end : rest_end]
        action = re.match(r"[^\d]{0,30}?(?:\d[^\d]{0,30}?)*?进行", rest)
        if action is None:
            return False
        action_end = quantity.end + action.end()
        measured = False
        for later in self.quantities[clause.index + 1 :]:
            if later.number_start >= rest_end:
                break  # quantities are in text order
            if later.unit not in (None, "%") and action_end <= later.number_start:
                measured = True
                break
        clause_start = max(text.rfind(mark, 0, quantity.number_start) for mark in "，,。；;\n")
        introduced = re.search(r"(?:^|[^针相])对", text[clause_start + 1 : quantity.number_start]) is not None
        return measured or introduced

    def _is_share_of_total(self, clause: _Clause) -> bool:
        """True for a percentage that is a share of a total or a ratio applied, not a result:
        `占项目总数比例0%`, `按大型企业30%比例返还` (the number governs 比例 after it)."""
        text, quantity = self.text, clause.quantity
        before = text[max(0, quantity.number_start - 30) : quantity.number_start]
        if re.search(r"占[^，,。；;]{0,25}(?:比例|比重)[ \t]*$", before):
            return True
        return re.match(r"[ \t]*的?比例", text[quantity.end : quantity.end + 4]) is not None

    def _read_plain(self, clause: _Clause) -> None:
        """A plain quantity, named before the number or, after a bare verb, by the noun after it."""
        if self._is_descriptive(clause):
            return
        text, unit, quantity, raw_name = self.text, clause.unit, clause.quantity, clause.raw_name
        name, name_start, name_end = clause.name, clause.name_start, clause.name_end
        predicate = re.match(r"[ \t]?(?:均为|均是|为|是)", text[quantity.end : quantity.end + 3])
        if predicate is not None:
            if raw_name.endswith("其中"):  # 其中10起为蘑菇中毒事件
                noun, noun_end = _following_noun(text, quantity.end + predicate.end())
                if len(noun) >= _MIN_NAME_LENGTH:
                    self._emit(
                        clause, [noun], [clause.number], (quantity.end + predicate.end(), noun_end), False
                    )
                    self.previous_end = noun_end
            return  # otherwise the count is the subject of a predicate (7例均为一般反应)
        connector_before = raw_name.rstrip(" \t").endswith(("、", "和", "及", "与", "以及"))
        modifies_noun = name.endswith("的") and "用于" not in name
        bare_verb = len(name) <= 8 and _BARE_VERB_RE.search(name) is not None
        noun, noun_end = _following_noun(text, quantity.end)
        if _ORGANISATION_RE.search(noun):
            return  # 7个内设机构, 16个事业单位
        if re.match(r"(?:通过|经过|利用|采取|依托)", raw_name.lstrip("，、 ")) and bare_verb:
            verb_match = _BARE_VERB_RE.search(name)
            if verb_match is not None:
                name = name[verb_match.start() :]  # 通过财政“一卡通”发放159名… -> 发放…
                name_start = max(name_start, text.rfind(name, name_start, name_end))
        if noun.startswith(("第", "为", "是", "均")):
            noun = ""
        granted = _GRANTED_RE.match(text, quantity.end) if unit in _PEOPLE_UNITS else None
        if granted is not None and re.search(r"(?:^|[^以因])[为向给]", raw_name):
            name, name_start, name_end = granted.group("grant"), granted.start("grant"), granted.end("grant")
            noun, self.previous_end = "", granted.end("grant")  # the grant, not its recipients, is counted
        noun = re.sub(r"^(?:开展了?|进行了?)", "", noun)
        if clause.index in self.shared_nouns:  # 城市15分钟和农村30分钟急救圈: the second half
            shared, shared_end = self.shared_nouns.pop(clause.index)
            name, name_end, self.previous_end = name + shared, shared_end, shared_end
        elif not noun and name and clause.index + 1 < len(self.quantities):
            pair = _shared_noun(text, self.quantities, clause.index)
            if pair is not None:  # …: the first half takes the noun both share
                self.shared_nouns[clause.index + 1] = pair
                name = name + pair[0]
        share_of = _PERCENT_SUBJECT_RE.match(text, quantity.end) if unit == "%" and not name else None
        if share_of is not None:  # 80%以上的县级机构达到建设要求: the share of what follows
            name, name_start, name_end = share_of.group("subject"), share_of.start("subject"), share_of.end()
            noun, self.previous_end = "", share_of.end()
        names_by_noun = (
            not name or connector_before or modifies_noun or bare_verb or len(name) <= 2
        ) and bool(noun)
        if (
            not names_by_noun
            and name
            and unit == "个"
            and re.fullmatch(r"[\u4e00-\u9fff]{1,2}", noun)
            and (noun_end >= len(text) or text[noun_end] in _CLAUSE_BOUNDARY)
        ):
            # 更新健身器材46个点位: a short noun closing the clause completes the bare measure word
            # 个 into the unit (个点位); the indicator is already named before the number.
            unit = quantity.unit = "个" + noun
            clause.number = stated_number(self.document, quantity.number_start, quantity.number_end, unit)
            noun, self.previous_end = "", noun_end
        clause_end = _CLAUSE_END_RE.search(text, quantity.end)
        rest = text[quantity.end : clause_end.start()] if clause_end else ""
        forms = re.search(r"组建|组成|构成", rest)
        if names_by_noun and forms is not None:
            self.previous_end = max(self.previous_end, quantity.end + forms.end())
            return  # members of what they form (11家基层医疗机构、32家村卫生室组成的医联体)
        if len(name) <= 2 and not name.endswith("率") and len(noun) >= 4 and not bare_verb:
            name, name_end = name + noun, noun_end  # 国家4866人慢病监测人群… -> 国家慢病监测人群…
            self.previous_end = noun_end
        elif (not name or connector_before or modifies_noun or bare_verb) and len(noun) >= _MIN_NAME_LENGTH:
            if unit == "%" or _BARE_VERB_RE.fullmatch(noun):
                return
            if re.search(r"\d[ \t]?(?:元|万元|亿元)", raw_name):
                return  # a count inside a money statement (拨付62万元至3个…)
            verb = "" if connector_before or modifies_noun else name
            name = verb + noun
            if not verb:
                name_start = quantity.end
            name_end = self.previous_end = noun_end
        else:
            # an example list inside the name: 管理高血压、糖尿病…等慢性病患者 -> 管理高血压等慢性病患者
            name = re.sub(r"(?:、\w{1,8}?)+(?=等\w{2})", "", name)
        if not name and not noun and self.recent and re.fullmatch(r"[共计合]+", raw_name.strip()):
            name = self.recent[-1].name  # 培训基层人员2期共300人次
        elif not name and not noun and unit != "%":
            # `开展督导：每季度一次，共4次` names the count by its line's label; `免费孕前优生健康检查项目。
            # …已完成400人` by the item its line opens with
            name = (
                _line_label(text, quantity.number_start) or _line_subject(text, quantity.number_start) or ""
            )
        elif re.fullmatch(r"(?:[^\d]{0,6}区)?(?:发放|拨付|补助|救助|资助|购买)", name):
            subject = _line_subject(text, quantity.number_start)
            if subject is not None:
                name = subject + name
        name = re.sub(r"^[\dA-Za-z]+(?:[+][\dA-Za-z]+){2,}", "", name)  # “1+1+1+N”包村团队
        if not self._acceptable_name(clause, name):
            return
        is_target = (
            _in_goal_section(self.goal_marks, self.goal_offsets, quantity.number_start)
            or any(start <= quantity.number_start < end for start, end in self.goal_cells)
            or bool(_TARGET_WORDING_RE.search(raw_name.rstrip()))
            or "分配" in raw_name
            or bool(_GOAL_CLAUSE_RE.search(text, clause.sentence_start, quantity.number_start))
            or bool(_UPPER_BOUND_AFTER_RE.match(text, quantity.end))
        )
        target_label = next((label for label in _TARGET_LABELS if name.endswith(label)), None)
        if target_label is not None and len(name) > len(target_label):
            name = name[: -len(target_label)]  # 65岁以上老年人健康管理任务书59000人
            is_target = True
        if (
            name.endswith("数")
            and len(name) > 3
            and _next_is_actual_label(text, self.quantities, clause.index)
        ):
            name = name[:-1]  # 肺结核患者管理数300人、有效管理299人
            is_target = True
        name = self._with_activity(clause, name)
        items, values = self._list_items(clause, name)
        self._emit(clause, items, values, (name_start, name_end), is_target)

    def _with_activity(self, clause: _Clause, name: str) -> str:
        """Prefix the activity a list of counts belongs to when the clause right before the list
        names it: `完成食品安全风险监测部分采样任务，采集新鲜蔬菜样30份、餐饮食品30份` ->
        食品安全风险监测餐饮食品. The list ends at the first long or self-explaining name."""
        if self.activity is None or self.activity[0] != clause.sentence_id:
            self.activity = None
            if self.recent or clause.unit == "%":
                return name
            before = self.text[clause.sentence_start : clause.boundary].rstrip("，,")
            preceding = re.split(r"[，,；;：:]", before)[-1] if before else ""
            if re.search(r"\d", preceding):
                return name
            found = list(_ACTIVITY_RE.finditer(preceding))
            if not found:
                return name
            self.activity = (clause.sentence_id, found[-1].group("activity"))
        activity = self.activity[1]
        if len(name) > 8 or _ACTIVITY_WORD_RE.search(name) or clause.unit == "%":
            self.activity = (clause.sentence_id, "")  # the list has ended
            return name
        return activity + name if activity else name

    def _acceptable_name(self, clause: _Clause, name: str) -> bool:
        """False for names that show the number is no indicator (comparisons, budget shares, dates)."""
        if len(name) < _MIN_NAME_LENGTH or len(name) > _MAX_NAME_LENGTH:
            return False
        if _COMPARISON_RE.search(name) or _NOT_A_NAME_RE.search(name) or _ORGANISATION_RE.search(name):
            return False
        if clause.unit in ("个", "项") and _PROJECT_COUNT_RE.search(name):
            return False  # how many projects a unit ran or evaluated: the report's scope
        if _RATE_SETTING_RE.search(name):
            return False
        if len(re.findall(r"[\u4e00-\u9fff]", name)) < _MIN_NAME_LENGTH or re.search(r"=|\d[ \t]+\d", name):
            return False  # table debris (`10 10 =`, `B/A×`, `20 20及时及时`)
        if clause.unit == "%" and not name.endswith(("到位率", "使用率")):  # fund arrival/use rates stay
            if _MONEY_NAME_RE.search(name):
                return False
            if _money_nearby(self.text, clause.boundary, clause.quantity.number_start):
                return False
        return not re.fullmatch(r"[\d.\-~、，A-Za-z+]+|.*[岁年月日时]", name)

    def _list_items(self, clause: _Clause, name: str) -> tuple[list[str], list[StatedNumber]]:
        """`A、B分别为x、y` -> (A, x), (B, y); `A和B均为x` -> (A, x), (B, x); else the one name."""
        raw_name, number = clause.raw_name, clause.number
        distributes = "分别" in raw_name or "均" in raw_name[-4:]
        items = _share_words(_split_items(name)) if distributes else [name]
        values = [number]
        if "分别" in raw_name and len(items) > 1:
            values = _distributed_values(
                self.document, self.quantities, clause.index, len(items), clause.unit
            )
            if len(values) == 1:
                values = values * len(items)
            elif len(values) == len(items):
                self.consumed.update(range(clause.index + 1, clause.index + len(values)))
                self.previous_end = self.quantities[clause.index + len(values) - 1].end
        elif len(items) > 1:
            values = [number] * len(items)
        if len(values) != len(items):
            items, values = [name], [number]
        if len(items) == 1 and self.recent:
            items = [_inherit_subject(items[0], self.recent[-1].name)]
        return items, values

    def _emit(
        self,
        clause: _Clause,
        items: list[str],
        values: list[StatedNumber],
        name_span: tuple[int, int],
        is_target: bool,
    ) -> None:
        for item, value in zip(items, values, strict=True):
            if len(item) < _MIN_NAME_LENGTH:
                continue
            draft = _Draft(
                name=item,
                name_start=name_span[0],
                name_end=name_span[1],
                position=clause.quantity.number_start,
                unit=clause.unit,
                sentence_id=clause.sentence_id,
            )
            if is_target:
                draft.target = value
            else:
                draft.actual = value
            self._add(draft)


def _shared_noun(text: str, quantities: list[_Quantity], index: int) -> tuple[str, int] | None:
    """The noun two joined quantities share (`城市15分钟和农村30分钟急救圈` -> 急救圈), and its end."""
    current, following = quantities[index], quantities[index + 1]
    between = text[current.end : following.number_start]
    if following.unit != current.unit or not re.fullmatch(r"[和与及、][\u4e00-\u9fff]{1,6}", between):
        return None
    noun, noun_end = _following_noun(text, following.end)
    if len(noun) < _MIN_NAME_LENGTH or len(noun) > 10:
        return None
    return noun, noun_end


def _summing_parts(document: Document, quantities: list[_Quantity]) -> set[int]:
    """Indices of quantities that, two or more in a row, add up to the quantity just before
    them in the same unit and sentence (`立案54起，一般程序案件36起，简易程序案件18起`)."""
    text = document.text
    parts: set[int] = set()
    for index, total in enumerate(quantities):
        if total.unit in (None, "%"):
            continue
        total_value = Decimal(text[total.number_start : total.number_end])
        running = Decimal(0)
        cursor = index + 1
        while cursor < len(quantities) and quantities[cursor].unit == total.unit:
            between = text[quantities[cursor - 1].end : quantities[cursor].number_start]
            if re.search(r"[。；;！？\n]", between):
                break
            running += Decimal(text[quantities[cursor].number_start : quantities[cursor].number_end])
            if running == total_value and cursor - index >= 2:
                parts.update(range(index + 1, cursor + 1))
                break
            if running > total_value:
                break
            cursor += 1
    return parts


def _is_listed_part(
    text: str, quantities: list[_Quantity], index: int, sentence_so_far: str, sentence_start: int
) -> bool:
    """True for a quantity in a 其中 list of two or more parts in the same unit
    (`其中涉外3人，红码17人…`); a single 其中 figure (`其中病原学阳性108例`) stands."""
    marker = sentence_so_far.rfind("其中")
    if marker < 0:
        return False
    start = sentence_start + marker
    end = len(text)
    match = re.compile(r"[。；;！？\n]").search(text, start)
    if match is not None:
        end = match.start()
    if sentence_so_far[marker - 1 : marker] in ("（", "("):
        closing = text.find("）" if text[start - 1] == "（" else ")", start, end)
        end = closing if closing > 0 else end  # （其中结核性胸膜炎4例）: the aside only
    following = text.find("其中", start + 2, end)
    end = following if following > 0 else end
    unit = quantities[index].unit
    # quantities are in text order: bisect instead of scanning them all (quadratic on large texts)
    first = bisect_left(quantities, start, key=lambda quantity: quantity.number_start)
    stop = bisect_left(quantities, end, key=lambda quantity: quantity.number_start)
    parts = [q for q in quantities[first:stop] if q.unit == unit]
    return len(parts) >= 2


def _money_nearby(text: str, boundary: int, number_start: int) -> bool:
    """True when a percentage sits in a clause about money (`支出0.94万元，占比100%`)."""
    sentence_start = max(text.rfind("。", 0, number_start), text.rfind("\n", 0, number_start))
    window = text[max(sentence_start, boundary - 30) : number_start]
    return bool(re.search(r"\d[ \t]?(?:元|万元|亿元)", window))


def _next_is_actual_label(text: str, quantities: list[_Quantity], index: int) -> bool:
    """True when the next quantity is labelled as an actual (`管理数300人、有效管理299人`)."""
    if index + 1 >= len(quantities):
        return False
    current, following = quantities[index], quantities[index + 1]
    between = text[current.end : following.number_start]
    if re.search(r"[。\n]", between) or len(between) > 8:
        return False
    label = between.strip("，,、；; \t")
    return label in _ACTUAL_LABELS or following.label in _ACTUAL_LABELS


def _distributed_values(
    document: Document, quantities: list[_Quantity], index: int, count: int, unit: str | None
) -> list[StatedNumber]:
    """The `count` values of `A、B分别为x、y`: this quantity and the ones joined to it by 、/和."""
    text = document.text
    values = [stated_number(document, quantities[index].number_start, quantities[index].number_end, unit)]
    cursor = index
    while len(values) < count and cursor + 1 < len(quantities):
        current, following = quantities[cursor], quantities[cursor + 1]
        between = text[current.end : following.number_start]
        if between not in ("、", "和", "，", ",", "及", "与"):
            break
        values.append(stated_number(document, following.number_start, following.number_end, following.unit))
        cursor += 1
    return values


def _value_key(number: StatedNumber | None) -> str | None:
    return None if number is None else number.normalized


def _same_indicator(first: str, second: str) -> bool:
    shorter, longer = sorted((first, second), key=len)
    return first == second or (len(shorter) >= 4 and longer.endswith(shorter))


def _merge(drafts: list[_Draft]) -> list[_Draft]:
    """Drop word-for-word repeats; join a goal and an achievement of the same indicator."""
    merged: list[_Draft] = []
    seen: set[tuple[str, str | None, str | None, str | None]] = set()
    for draft in drafts:
        key = (draft.name, _value_key(draft.target), _value_key(draft.actual), _value_key(draft.rate))
        if key in seen:
            continue
        seen.add(key)
        merged.append(draft)
    result: list[_Draft] = []
    for draft in merged:
        partner = None
        if draft.target is None and draft.actual is not None:
            partner = next(
                (
                    other
                    for other in result
                    if other.target is not None
                    and other.actual is None
                    and other.unit == draft.unit
                    and _same_indicator(other.name, draft.name)
                ),
                None,
            )
        if partner is not None:
            partner.actual = draft.actual
            if len(draft.name) > len(partner.name):
                partner.name = draft.name
            if partner.rate is None:
                partner.rate = draft.rate
            continue
        result.append(draft)
    return result


def _chunk_for(chunks: list[Chunk], position: int) -> str | None:
    for chunk in chunks:
        if chunk.start <= position < chunk.end:
            return chunk.id
    return None


# --- 绩效自评表: tables flattened to tab-separated lines -------------------------------------------

#: Header cells naming each column of a 绩效自评表 (first match wins, in this order).
_NAME_HEADER_RE = re.compile(r"三级指标|指标名称|绩效指标|具体指标|指标内容")
_TARGET_HEADER_RE = re.compile(r"指标值|目标值|预期值|计划值|年度目标|预期目标|计划数|目标数|任务数")
_ACTUAL_HEADER_RE = re.compile(r"实际完成值|完成值|实际值|实际完成|完成数|实际数|完成情况|实际")
_RATE_HEADER_RE = re.compile(r"完成率|达成率|完成比例")
_CATEGORY_HEADER_RES = (re.compile(r"二级指标"), re.compile(r"一级指标"))
_UNIT_HEADER_RE = re.compile(r"^(?:计量单位|单位)$")
#: A value cell: optional comparison, the number, optional unit.
_CELL_VALUE_RE = re.compile(
    rf"(?:[≥≤><=＞＜]|不低于|不少于|不高于|不超过|达到)?[ \t]*(?P<number>{_NUMBER})[ \t]*"
    rf"(?:(?P<unit>{_UNIT_ALTERNATION}|万元|亿元|元)(?![{_BAD_FOLLOWERS}]))?"
)


@dataclass
class _TableLayout:
    """Which column holds what, from a 绩效自评表 header row."""

    width: int
    name: int
    target: int | None
    actual: int | None
    rate: int | None
    category: int | None
    unit: int | None


@dataclass(frozen=True)
class _Row:
    """A table row's cells with their offsets; `shift` cells merged away on the left."""

    cells: list[str]
    starts: list[int]
    shift: int

    def cell(self, column: int | None) -> tuple[str, int] | None:
        """The text and start offset of the cell under header column `column`."""
        if column is None or column - self.shift < 0:
            return None
        return self.cells[column - self.shift], self.starts[column - self.shift]


def _column(cells: list[str], pattern: re.Pattern[str], taken: set[int]) -> int | None:
    for index, cell in enumerate(cells):
        if index not in taken and pattern.search(cell):
            taken.add(index)
            return index
    return None


def _table_layout(cells: list[str]) -> _TableLayout | None:
    """The layout of a header row, or None when the row is not a 绩效指标 header."""
    taken: set[int] = set()
    name = _column(cells, _NAME_HEADER_RE, taken)
    if name is None:
        return None
    rate = _column(cells, _RATE_HEADER_RE, taken)
    actual = _column(cells, _ACTUAL_HEADER_RE, taken)
    target = _column(cells, _TARGET_HEADER_RE, taken)
    if target is None and actual is None:
        return None
    category = None
    for pattern in _CATEGORY_HEADER_RES:
        category = _column(cells, pattern, taken)
        if category is not None:
            break
    unit = _column(cells, _UNIT_HEADER_RE, taken)
    return _TableLayout(len(cells), name, target, actual, rate, category, unit)


def _cell_value(
    document: Document, cell_start: int, cell: str, default_unit: str | None
) -> tuple[StatedNumber, str | None] | None:
    """The number a value cell states (`≥90%`, `3287人`), spanned, with its unit."""
    match = _CELL_VALUE_RE.search(cell)
    if match is None or re.search(r"\d", cell[: match.start()]):
        return None
    unit = match.group("unit") or default_unit
    if unit == "％":
        unit = "%"
    start = cell_start + match.start("number")
    return stated_number(document, start, start + len(match.group("number")), unit), unit


def _table_indicators(document: Document) -> tuple[list[_Draft], list[tuple[int, int]]]:
    """Indicators from 绩效自评表 rows (tab-separated cells) and the offsets those rows cover."""
    text = document.text
    drafts: list[_Draft] = []
    rows: list[tuple[int, int]] = []
    layout: _TableLayout | None = None
    category: str | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        line_start, offset = offset, offset + len(line)
        body = line.rstrip("\r\n")
        if "\t" not in body:
            layout = None
            continue
        cells = body.split("\t")
        header = _table_layout(cells)
        if header is not None:
            layout, category = header, None
            rows.append((line_start, offset))
            continue
        if layout is None:
            continue
        rows.append((line_start, offset))
        starts = [line_start]
        for cell in cells[:-1]:
            starts.append(starts[-1] + len(cell) + 1)
        shift = layout.width - len(cells)  # merged cells on the left: align from the right
        if shift < 0:
            continue
        row = _Row(cells, starts, shift)
        if layout.category is not None:
            found = row.cell(layout.category)
            if found is not None and found[0].strip():
                category = re.sub(r"指标$", "", found[0].strip()) or None
        named = row.cell(layout.name)
        if named is None or not named[0].strip() or re.fullmatch(r"[\d.\s]*", named[0]):
            continue
        raw_name = named[0]
        name = "".join(char for char in raw_name.strip() if char not in _QUOTES)
        unit_cell = row.cell(layout.unit)
        default_unit = unit_cell[0].strip() or None if unit_cell is not None else None
        values: dict[str, tuple[StatedNumber, str | None]] = {}
        columns = (("target", layout.target), ("actual", layout.actual), ("rate", layout.rate))
        for field_name, column in columns:
            found = row.cell(column)
            if found is None:
                continue
            value = _cell_value(document, found[1], found[0], "%" if field_name == "rate" else default_unit)
            if value is not None:
                values[field_name] = value
        if not values:
            continue
        unit = next((value[1] for key, value in values.items() if key != "rate" and value[1]), None)
        name_start = named[1] + (len(raw_name) - len(raw_name.lstrip()))
        drafts.append(
            _Draft(
                name=name,
                name_start=name_start,
                name_end=name_start + len(raw_name.strip()),
                position=named[1],
                unit=unit,
                target=values["target"][0] if "target" in values else None,
                actual=values["actual"][0] if "actual" in values else None,
                rate=values["rate"][0] if "rate" in values else None,
                category=category,
            )
        )
    return drafts, rows


def _inside(rows: list[tuple[int, int]], position: int) -> bool:
    return any(start <= position < end for start, end in rows)


def _finish(document: Document, drafts: list[_Draft], chunks: list[Chunk]) -> list[Indicator]:
    indicators: list[Indicator] = []
    for draft in drafts:
        original_start, original_end = document.offsets.original_span(draft.name_start, draft.name_end)
        indicators.append(
            Indicator(
                name=draft.name,
                target=draft.target,
                actual=draft.actual,
                rate=draft.rate,
                unit=draft.unit,
                name_span=Span(start=original_start, end=original_end),
                category=draft.category or _line_category(document.text, draft.position),
                chunk_id=_chunk_for(chunks, draft.position),
                source="rules",
            )
        )
    return indicators
