"""The rules indicator extractor: one named snippet per wording pattern, plus recall floors on the seeds.

Each snippet is run through `pipeline.ingest.normalize` like a real document, so the
spans are checked against the original text, not the normalised one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.evaluation.gold import gold_to_extraction, load_gold
from pipeline.evaluation.scorers import indicator_score
from pipeline.extract.rules.indicators import extract_indicators
from pipeline.ingest.normalize import normalize
from pipeline.ingest.read import ingest
from schemas import Chunk, Document, DocumentFormat, Indicator

# The repository's own copies of the shared seeds and gold (tests/test_gold.py checks they match).
REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "samples"
GOLD = REPO / "eval" / "gold"


def document_of(original: str) -> Document:
    text, offsets = normalize(original)
    data = original.encode("utf-8")
    return Document(
        path="snippet.txt",
        name="snippet.txt",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        format=DocumentFormat.TXT,
        original_text=original,
        text=text,
        offsets=offsets,
    )


@dataclass(frozen=True)
class Expected:
    """One indicator the snippet must yield (`None` = field must be absent)."""

    name: str
    target: str | None = None
    actual: str | None = None
    rate: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expected: tuple[Expected, ...]
    exactly: bool = True  # no other indicator may be extracted


CASES: tuple[Case, ...] = (
    Case(
        "target_actual_rate_in_running_text",
        "65岁以上老年人健康管理任务书59000人，实际完成59174人，完成率100.3%；",
        (Expected("65岁以上老年人健康管理", target="59000", actual="59174", rate="100.3", unit="人"),),
    ),
    Case(
        "plain_percentage",
        "高血压规范管理率84.36%、糖尿病规范管理率83.92%；",
        (
            Expected("高血压规范管理率", actual="84.36", unit="%"),
            Expected("糖尿病规范管理率", actual="83.92", unit="%"),
        ),
    ),
    Case(
        "labelled_values_in_brackets",
        "农村两癌筛查（指标数2450，完成数2564）、新生儿先天性心脏病筛查（指标数7100，完成数8540）等全部超额完成。",
        (
            Expected("农村两癌筛查", target="2450", actual="2564"),
            Expected("新生儿先天性心脏病筛查", target="7100", actual="8540"),
        ),
    ),
    Case(
        "count_then_effective_count_then_rate",
        "肺结核患者管理数300人、有效管理299人、管理率99.67%；",
        (Expected("肺结核患者管理", target="300", actual="299", rate="99.67", unit="人"),),
    ),
    Case(
        "rates_of_task_distributed",
        "2021年完成免费产前筛查2788人，两癌筛查3533例，分别是任务数的101.01%和101.12%。",
        (
            Expected("免费产前筛查", actual="2788", rate="101.01", unit="人"),
            Expected("两癌筛查", actual="3533", rate="101.12", unit="例"),
        ),
    ),
    Case(
        "shared_task_completion_rate",
        "完成儿童、孕妇尿碘浓度检测300份，甲状腺B超检查200人，任务完成率均为100%。",
        (
            Expected("儿童、孕妇尿碘浓度检测", actual="300", rate="100", unit="份"),
            Expected("甲状腺B超检查", actual="200", rate="100", unit="人"),
        ),
    ),
    Case(
        "named_completion_rate_stands_alone",
        "询检2255人，流动人群血吸虫病监测任务完成率为100%，无阳性病人。",
        (
            Expected("询检", actual="2255", unit="人"),
            Expected("流动人群血吸虫病监测任务", rate="100"),
        ),
    ),
    Case(
        "approximate_count_with_myriad",
        "前期共排查大数据141万余条，累计分级分类管控19.27万人。",
        (
            Expected("排查大数据", actual="141", unit="万条"),
            Expected("分级分类管控", actual="19.27", unit="万人"),
        ),
    ),
    Case(
        "noun_after_number",
        "建成225个常态化便民免费核酸采样点、22个收费采样点以及29个黄码采样点。",
        (
            Expected("常态化便民免费核酸采样点", actual="225", unit="个"),
            Expected("收费采样点", actual="22", unit="个"),
            Expected("黄码采样点", actual="29", unit="个"),
        ),
    ),
    Case(
        "respectively_with_shared_measure",
        "共登记高血压患者和糖尿病患者分别为17431人和6577人，血压、血糖规范管理率分别为85.01%、86.16%。",
        (
            Expected("登记高血压患者", actual="17431", unit="人"),
            Expected("糖尿病患者", actual="6577", unit="人"),
            Expected("血压规范管理率", actual="85.01", unit="%"),
            Expected("血糖规范管理率", actual="86.16", unit="%"),
        ),
    ),
    Case(
        "age_group_subject_carried",
        "全区60岁以上老年人第一剂接种18.59万剂次，接种覆盖率91.59%，全程接种17.59万剂次。",
        (
            Expected("60岁以上老年人第一剂接种", actual="18.59", unit="万剂次"),
            Expected("60岁以上老年人第一剂接种覆盖率", actual="91.59", unit="%"),
            Expected("60岁以上老年人全程接种", actual="17.59", unit="万剂次"),
        ),
    ),
    Case(
        "goal_section_states_targets",
        "部门专项资金绩效目标\n全区城乡居民健康档案建档率达到90%以上；肺结核患者管理率和规则服药率均达到90%以上。\n"
        "二、一般公共预算支出情况\n",
        (
            Expected("城乡居民健康档案建档率", target="90", unit="%"),
            Expected("肺结核患者管理率", target="90", unit="%"),
            Expected("肺结核患者规则服药率", target="90", unit="%"),
        ),
    ),
    Case(
        "goal_and_achievement_merge",
        "部门绩效目标\n新生儿访视率达到85%以上。\n二、绩效情况\n孕产妇产后访视率达99.40%，新生儿访视率达97.67%。\n",
        (
            Expected("新生儿访视率", target="85", actual="97.67", unit="%"),
            Expected("孕产妇产后访视率", actual="99.40", unit="%"),
        ),
    ),
    Case(
        "assigned_quota_is_a_target",
        "2024年市里分配我区“两癌”筛查12000人，已全部完成任务。",
        (Expected("两癌筛查", target="12000", unit="人"),),
    ),
    Case(
        "fullwidth_digits_keep_original_span",
        "全年报告法定传染病２２７７例，报告发病率为７７８．９５/10万。",
        (
            Expected("报告法定传染病", actual="2277", unit="例"),
            Expected("报告发病率", actual="778.95", unit="/10万"),
        ),
    ),
    Case(
        "comparison_sign_marks_a_target",
        "城乡居民健康档案建档率 ≥90%，",
        (Expected("城乡居民健康档案建档率", target="90", unit="%"),),
    ),
    Case(
        "noun_after_number_joined_by_he",
        "截至目前已完成30名集中隔离密接人员和92名方舱集中隔离感染者的转运工作。",
        (
            Expected("集中隔离密接人员", actual="30", unit="名"),
            Expected("方舱集中隔离感染者", actual="92", unit="名"),
        ),
    ),
    Case(
        "aspects_and_subject_counts_are_not_indicators",
        "内容包含血压测量、康复指导6个方面。共监测疑似预防接种异常反应9例，经调查诊断7例均为一般反应，1例为偶合反应。",
        (Expected("监测疑似预防接种异常反应", actual="9", unit="例"),),
    ),
    Case(
        "parts_that_sum_to_the_total_before_them",
        "立案54起案件，一般程序案件36起，简易程序案件18起，共计罚款人民币172179元。",
        (Expected("立案", actual="54", unit="起"), Expected("罚款", actual="172179", unit="元")),
    ),
    Case(
        "single_qizhong_part_named_after_wei",
        "上报15起食源性疾病事件，其中10起为蘑菇中毒事件。",
        (
            Expected("上报食源性疾病事件", actual="15", unit="起"),
            Expected("蘑菇中毒事件", actual="10", unit="起"),
        ),
    ),
    Case(
        "bracketed_aside_qizhong_stands",
        "登记治疗肺结核病人155例（其中结核性胸膜炎4例），其中病原学阳性108例，病原学阳性率71.52%。",
        (
            Expected("登记治疗肺结核病人", actual="155", unit="例"),
            Expected("结核性胸膜炎", actual="4", unit="例"),
            Expected("病原学阳性", actual="108", unit="例"),
            Expected("病原学阳性率", actual="71.52", unit="%"),
        ),
    ),
    Case(
        "shared_noun_after_two_quantities",
        "打造城市15分钟和农村30分钟急救圈；",
        (
            Expected("城市急救圈", actual="15", unit="分钟"),
            Expected("农村急救圈", actual="30", unit="分钟"),
        ),
    ),
    Case(
        "parallel_wording_takes_the_subject",
        "医共体上转病人3134人，下转358人。",
        (
            Expected("医共体上转病人", actual="3134", unit="人"),
            Expected("医共体下转病人", actual="358", unit="人"),
        ),
    ),
    Case(
        "density_with_bracketed_unit",
        "捕获雌蚊数为610只，蚊密度为5.08〔只/(灯•夜)〕；",
        (
            Expected("捕获雌蚊数", actual="610", unit="只"),
            Expected("蚊密度", actual="5.08", unit="只/(灯•夜)"),
        ),
    ),
    Case(
        "paragraph_topic_names_an_unnamed_count",
        "免费孕前优生健康检查项目。各街道输送情况良好，目前已完成400人，完成了全年任务数的100%。",
        (Expected("免费孕前优生健康检查", actual="400", rate="100", unit="人"),),
    ),
    Case(
        "scores_weights_and_meetings_are_not_indicators",
        "区委常委会第17次会议专题听取汇报。该指标分值10分，满分100分，2个工作日内办结，3个月内完成。",
        (),
    ),
    Case(
        "target_label_after_actual",
        "孕产妇系统管理率95.2%，目标值为90%；群众满意度达96.5%，目标为≥90%。",
        (
            Expected("孕产妇系统管理率", target="90", actual="95.2", unit="%"),
            Expected("群众满意度", target="90", actual="96.5", unit="%"),
        ),
    ),
    Case(
        "payment_progress_is_a_budget_figure",
        "项目于2023年12月31日前完成，资金支付进度为100%。",
        (),
    ),
    Case(
        "list_after_an_activity_clause_takes_the_activity",
        "完成食品安全风险监测部分采样任务，采集新鲜蔬菜样30份、餐饮食品30份、大米40份，均完成了检测任务。"
        "完成了国家慢病核心知识知晓率调查，采集问卷400余份，国家肿瘤核心知识知晓率入户调查300户。",
        (
            Expected("食品安全风险监测采集新鲜蔬菜样", actual="30", unit="份"),
            Expected("食品安全风险监测餐饮食品", actual="30", unit="份"),
            Expected("食品安全风险监测大米", actual="40", unit="份"),
            Expected("国家慢病核心知识知晓率调查采集问卷", actual="400", unit="份"),
            Expected("国家肿瘤核心知识知晓率入户调查", actual="300", unit="户"),
        ),
    ),
    Case(
        "completion_rate_right_after_a_count",
        "全年共完成免费孕前优生健康检查1200对，完成率100%；",
        (Expected("免费孕前优生健康检查", actual="1200", rate="100", unit="对"),),
    ),
    Case(
        "actual_worded_with_shiji_after_a_goal",
        "服务对象满意度达到95%，实际调查满意度96.8%。",
        (Expected("服务对象满意度", target="95", actual="96.8", unit="%"),),
    ),
    Case(
        "total_after_a_count_keeps_the_name",
        "全年培训基层人员2期共300人次。",
        (Expected("培训基层人员", actual="300", unit="人次"),),
        exactly=False,
    ),
    Case(
        "numbered_goals_then_numbered_results",
        "二、绩效目标\n1.全年完成65岁以上老年人健康体检不少于5000人；\n2.高血压患者规范管理率≥60%；\n"
        "三、绩效目标完成情况\n1.全年完成65岁以上老年人健康体检5236人，完成率104.72%；\n"
        "2.高血压患者规范管理率达65.3%。\n",
        (
            Expected("65岁以上老年人健康体检", target="5000", actual="5236", rate="104.72", unit="人"),
            Expected("高血压患者规范管理率", target="60", actual="65.3", unit="%"),
        ),
    ),
    Case(
        "table_row_without_separators",
        "指标名称 目标值 完成值\n健康体检人数 5000人 5236人\n",
        (Expected("健康体检人数", target="5000", actual="5236", unit="人"),),
    ),
    Case(
        "members_of_what_they_form_are_not_indicators",
        "构建了以市三三一医院为龙头，11家基层医疗机构、32家村卫生室组成的区域医联体。"
        "全区176名区医、346名乡医与全区299个行政村组建包村团队346个。",
        (Expected("包村团队", actual="346", unit="个"),),
    ),
    Case(
        "staff_and_departments_are_not_indicators",
        "本部门共有行政编制11名，事业编9名。实有人数45人，其中：在职人员17人，退休28人。设局长1名，副局长3名。"
        "区卫生健康局设下列7个内设机构。",
        (),
    ),
    Case(
        "money_and_budget_rates_are_not_indicators",
        "公务接待费预算10万元，支出决算0.94万元，完成预算的9.4%。项目支出占总支出的94.85%，比上年增加131.73%。",
        (),
    ),
    Case(
        "funding_recipients_are_not_indicators",
        "2023年度项目经费已全部拨付至8个基层医疗卫生机构、13个村卫生室及2个公卫机构。",
        (),
    ),
    Case(
        "parts_after_qizhong_are_not_indicators",
        "完成饮用水监测86份，其中农村饮用水监测32份，学校饮用水监测54份。",
        (Expected("饮用水监测", actual="86", unit="份"),),
    ),
    Case(
        "dates_ordinals_and_frequencies_are_not_indicators",
        "截止到2022年1月18日24时，每天至少4次上网巡视疫情，石峰区获4次第一、1次第二。",
        (),
    ),
)


TABLE = (
    "附件：2023年度部门整体支出绩效自评表\n"
    "一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因\n"
    "产出指标\t数量指标\t城乡居民健康档案建档率\t≥90%\t92.5%\t10\t10\t\n"
    "\t\t65岁以上老年人健康管理人数\t59000人\t59174人\t10\t10\t\n"
    "\t质量指标\t高血压规范管理率\t≥60%\t84.36%\t10\t9\t略低\n"
    "效益指标\t社会效益指标\t群众健康意识\t有效提升\t有效提升\t10\t10\t\n"
    "满意度指标\t服务对象满意度指标\t群众满意度\t≥90%\t95%\t10\t10\t\n"
    "成本指标\t经济成本指标\t项目成本\t２００万元\t198.5万元\t10\t10\t\n"
    "合计\t\t\t\t\t100\t98\t\n"
    "我局整体支出绩效自评得分98分。\n"
)


def test_self_evaluation_table() -> None:
    document = document_of(TABLE)
    indicators = {indicator.name: indicator for indicator in extract_indicators(document, [])}
    assert sorted(indicators) == sorted(
        [
            "城乡居民健康档案建档率",
            "65岁以上老年人健康管理人数",
            "高血压规范管理率",
            "群众满意度",
            "项目成本",
            "整体支出绩效自评得分",
        ]
    )
    rate = indicators["城乡居民健康档案建档率"]
    assert (_value(rate, "target"), _value(rate, "actual"), rate.unit, rate.category) == (
        "90",
        "92.5",
        "%",
        "数量",
    )
    people = indicators["65岁以上老年人健康管理人数"]
    assert (_value(people, "target"), _value(people, "actual"), people.unit) == ("59000", "59174", "人")
    assert people.category == "数量"  # carried down a vertically merged cell
    assert indicators["高血压规范管理率"].category == "质量"
    assert indicators["群众满意度"].category == "服务对象满意度"
    cost = indicators["项目成本"]
    assert cost.target is not None and cost.target.text == "２００"
    assert (_value(cost, "target"), _value(cost, "actual"), cost.unit) == ("200", "198.5", "万元")
    for indicator in indicators.values():
        for field in ("target", "actual", "rate"):
            number = getattr(indicator, field)
            if number is not None:
                assert document.original_text[number.span.start : number.span.end] == number.text


def test_table_with_rate_and_unit_columns() -> None:
    document = document_of(
        "指标名称\t计量单位\t目标值\t完成值\t完成率\n"
        "免费产前筛查\t人\t2760\t2788\t101.01%\n"
        "两癌筛查\t例\t3494\t3533\t101.12\n"
    )
    indicators = {indicator.name: indicator for indicator in extract_indicators(document, [])}
    screening = indicators["免费产前筛查"]
    assert (_value(screening, "target"), _value(screening, "actual"), _value(screening, "rate")) == (
        "2760",
        "2788",
        "101.01",
    )
    assert screening.unit == "人"
    assert indicators["两癌筛查"].unit == "例"
    assert _value(indicators["两癌筛查"], "rate") == "101.12"


def _value(indicator: Indicator, field: str) -> str | None:
    number = getattr(indicator, field)
    return None if number is None else str(number.normalized)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_wording_patterns(case: Case) -> None:
    document = document_of(case.text)
    indicators = extract_indicators(document, [])
    by_name = {indicator.name: indicator for indicator in indicators}
    for expected in case.expected:
        assert expected.name in by_name, f"{expected.name} not in {sorted(by_name)}"
        got = by_name[expected.name]
        assert _value(got, "target") == expected.target
        assert _value(got, "actual") == expected.actual
        assert _value(got, "rate") == expected.rate
        if expected.unit is not None:
            assert got.unit == expected.unit
    if case.exactly:
        assert sorted(by_name) == sorted(e.name for e in case.expected)
    for indicator in indicators:
        for field in ("target", "actual", "rate"):
            number = getattr(indicator, field)
            if number is not None:
                assert document.original_text[number.span.start : number.span.end] == number.text


def test_fullwidth_span_points_at_fullwidth_text() -> None:
    document = document_of("全年报告法定传染病２２７７例。")
    (indicator,) = extract_indicators(document, [])
    assert indicator.actual is not None
    assert indicator.actual.text == "２２７７"
    assert indicator.actual.normalized == "2277"


def test_category_from_the_line_that_announces_it() -> None:
    document = document_of(
        "（三）项目绩效目标完成情况\n"
        "1.产出指标：完成适龄儿童免疫规划疫苗接种12.5万剂次；\n"
        "2.满意度指标：群众满意度达96.5%。\n"
        "全年报告法定传染病2277例。\n"
    )
    categories = {indicator.name: indicator.category for indicator in extract_indicators(document, [])}
    assert categories == {"适龄儿童免疫规划疫苗接种": "产出", "群众满意度": "满意度", "报告法定传染病": None}


def test_chunk_id_is_the_chunk_holding_the_number() -> None:
    document = document_of("审核传染病报告卡46,828张。\n形成督查通报17篇。\n")
    text = document.text  # chunks are cut in the normalised text
    assert "46828" in text
    split = text.index("\n") + 1
    chunks = [
        Chunk(id="c0", document="snippet.txt", index=0, start=0, end=split, text=text[:split]),
        Chunk(id="c1", document="snippet.txt", index=1, start=split, end=len(text), text=text[split:]),
    ]
    indicators = {indicator.name: indicator for indicator in extract_indicators(document, chunks)}
    assert indicators["审核传染病报告卡"].chunk_id == "c0"
    assert indicators["形成督查通报"].chunk_id == "c1"


def test_name_span_covers_the_name() -> None:
    document = document_of("今年共报告食源性疾病病例3385例。")
    (indicator,) = extract_indicators(document, [])
    assert indicator.name_span is not None
    assert document.original_text[indicator.name_span.start : indicator.name_span.end] == "报告食源性疾病病例"


#: Recall floors, scored as `recon eval` scores indicators (measured figure minus 0.05).
RECALL_FLOORS = {
    "000_7b25304ad1b9e67e": 0.89,  # measured 0.947
    "001_7405f8ecf0461328": 0.93,  # measured 0.981
    "002_67d54693e1e0f6b8": 0.95,  # measured 1.000
    "003_43ece3630f6c8f67": 0.91,  # measured 0.964
}


@pytest.mark.parametrize("stem", sorted(RECALL_FLOORS))
def test_seed_recall_floor(stem: str) -> None:
    gold_path = GOLD / f"{stem}.gold.json"
    gold = load_gold(gold_path)
    document = ingest(SEEDS / gold.document)
    indicators = extract_indicators(document, [])
    score = indicator_score(gold_to_extraction(gold).indicators, indicators, gold_path.name)
    assert score.recall >= RECALL_FLOORS[stem]
    numbers = [n for i in indicators for n in (i.target, i.actual, i.rate) if n is not None]
    assert all(document.original_text[n.span.start : n.span.end] == n.text for n in numbers)


def test_seed_without_indicators_yields_none() -> None:
    gold = json.loads((GOLD / "004_9e87d6aa48146b78.gold.json").read_text(encoding="utf-8"))
    assert gold["indicators"] == []
    document = ingest(SEEDS / gold["document"])
    assert extract_indicators(document, []) == []
