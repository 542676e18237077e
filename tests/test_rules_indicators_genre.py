"""Genre wording of running-text indicators: goals, task shares, bounds and descriptive counts.

Each case is a short sentence written for the test (not taken from any report) and names the
pattern it pins down; `exactly` cases also assert that nothing else is read as an indicator.
"""

from __future__ import annotations

import pytest

from pipeline.extract.rules.indicators import extract_indicators
from schemas import Indicator
from tests.test_rules_indicators import Case, Expected, document_of

CASES: tuple[Case, ...] = (
    Case(
        "task_share_binds_target_and_rate_to_the_indicator_before",
        "2023年度，家庭医生签约人数为5200人，完成县目标任务5000人的104%。",
        (Expected("家庭医生签约人数", target="5000", actual="5200", rate="104", unit="人"),),
    ),
    Case(
        "task_share_skips_a_count_in_another_unit",
        "结业学员860人（共12期），完成上级下达任务人数800人的107.5%。",
        (
            Expected("结业学员", target="800", actual="860", rate="107.5", unit="人"),
            Expected("结业学员", actual="12", unit="期"),
        ),
        exactly=False,
    ),
    Case(
        "upper_bound_after_an_actual_is_its_target",
        "婴儿死亡率为3.1‰，控制在6‰以内；",
        (Expected("婴儿死亡率", target="6", actual="3.1", unit="‰"),),
    ),
    Case(
        "named_upper_bound_is_a_target",
        "传染病报告发病率控制在5%以下。",
        (Expected("传染病报告发病率", target="5", unit="%"),),
    ),
    Case(
        "goal_lead_in_line_makes_numbered_items_targets",
        "下达文化专项资金80万元，绩效目标情况：\n1.开展送戏下乡20场。\n2.维护文化站9个。\n二、评价结论\n"
        "全年开展送戏下乡22场。\n",
        (
            Expected("送戏下乡", target="20", actual="22", unit="场"),
            Expected("维护文化站", target="9", unit="个"),
        ),
    ),
    Case(
        "goal_sentence_states_targets",
        "年度绩效目标为：新建篮球场3个，培训社会体育指导员150人。",
        (
            Expected("新建篮球场", target="3", unit="个"),
            Expected("培训社会体育指导员", target="150", unit="人"),
        ),
    ),
    Case(
        "goal_label_opens_a_sentence_of_targets_in_open_units",
        "年度目标：新建公厕10座，改造农村公路12公里。计划培训300人，实际培训320人。",
        (
            Expected("新建公厕", target="10", unit="座"),
            Expected("改造农村公路", target="12", unit="公里"),
            Expected("计划培训", target="300", actual="320", unit="人"),
        ),
    ),
    Case(
        "task_share_with_nothing_before_it_is_left_out",
        "完成年度任务1200户的103%。",
        (),
    ),
    Case(
        "goal_results_line_closes_a_goal_block",
        "年初设定目标\n为困难家庭提供临时救助\n年度总体目标完成情况\n全年临时救助困难家庭120户。\n",
        (Expected("临时救助困难家庭", actual="120", unit="户"),),
    ),
    Case(
        "goal_column_of_a_flattened_table_holds_targets",
        "总体目标完成情况 | 总体目标 | 全年实际完成情况 | ||\n新建球场2个，绿化面积900平方米 | 已完成前期工作 | ||\n",
        (
            Expected("新建球场", target="2", unit="个"),
            Expected("绿化面积", target="900", unit="平方米"),
        ),
    ),
    Case(
        "name_cell_of_a_flattened_row_names_its_values",
        "数量指标 | 临时救助人次 | ≥500人次 | 612人次 |\n",
        (Expected("临时救助人次", target="500", actual="612", unit="人次"),),
    ),
    Case(
        "glued_list_ordinal_is_not_a_decimal",
        "年度目标：\n1.确保15个村级服务点正常运行。\n2.36个社区完成健身路径安装。\n",
        (
            Expected("确保村级服务点正常运行", target="15", unit="个"),
            Expected("社区完成健身路径安装", target="36", unit="个"),
        ),
    ),
    Case(
        "scope_of_a_measured_action_is_not_an_indicator",
        "年度目标：\n为6个书屋进行图书更新800册。\n",
        (Expected("图书更新", target="800", unit="册"),),
    ),
    Case(
        "scope_introduced_by_dui_is_not_an_indicator",
        "对15个社区的健身器材进行维护。",
        (),
    ),
    Case(
        "project_counts_are_not_indicators",
        "本单位2023年共实施项目6个，参与评价的项目共3个，项目支出120万元。",
        (),
    ),
    Case(
        "contribution_rates_and_applied_ratios_are_not_indicators",
        "养老保险单位费率16%，个人费率8%；按照小微企业50%比例返还保费。",
        (),
    ),
    Case(
        "share_of_a_total_is_not_an_indicator",
        "评为优秀的项目占项目总数比例25%。",
        (),
    ),
    Case(
        "grant_names_a_count_of_people",
        "为30名困难学生发放助学金。",
        (Expected("发放助学金", actual="30", unit="名"),),
    ),
    Case(
        "organisations_paid_a_grant_are_not_indicators",
        "已向12家企业发放稳岗补贴。",
        (),
    ),
    Case(
        "score_weights_and_points_earned_are_not_indicators",
        "项目决策（20分）。制定年度绩效目标得2分。",
        (),
    ),
    Case(
        "same_activity_in_another_unit_keeps_its_name",
        "开展技能培训12期，培训600人。",
        (
            Expected("技能培训", actual="12", unit="期"),
            Expected("技能培训", actual="600", unit="人"),
        ),
    ),
    Case(
        "short_noun_after_ge_completes_the_unit",
        "全年更新健身器材46个点位，完成率100%。",
        (Expected("更新健身器材", actual="46", rate="100", unit="个点位"),),
    ),
    Case(
        "line_label_names_a_count_stated_after_it",
        "开展业务督导：每季度督导一次，共4次。",
        (Expected("开展业务督导", actual="4", unit="次"),),
    ),
    Case(
        "clause_opening_percentage_names_what_follows",
        "一、目标任务\n年底前，70%以上的乡镇卫生院达到服务能力标准。\n二、实施情况\n",
        (Expected("乡镇卫生院达到服务能力标准", target="70", unit="%"),),
    ),
    Case(
        "number_inside_a_quoted_name_is_not_an_indicator",
        "安排“10分钟健身圈”建设资金20万元。",
        (),
    ),
    Case(
        "same_short_name_goal_and_result_merge",
        "一、目标任务\n全县婚检率稳定在80%。\n二、完成情况\n婚检率为91.2%。\n",
        (Expected("婚检率", target="80", actual="91.2", unit="%"),),
    ),
)


def _value(indicator: Indicator, field: str) -> str | None:
    number = getattr(indicator, field)
    return None if number is None else str(number.normalized)


def _matches(indicator: Indicator, expected: Expected) -> bool:
    fields = ("target", "actual", "rate")
    return indicator.name == expected.name and all(
        _value(indicator, field) == getattr(expected, field) for field in fields
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_genre_wording(case: Case) -> None:
    document = document_of(case.text)
    indicators = extract_indicators(document, [])
    described = [
        (i.name, _value(i, "target"), _value(i, "actual"), _value(i, "rate"), i.unit) for i in indicators
    ]
    for expected in case.expected:
        found = [indicator for indicator in indicators if _matches(indicator, expected)]
        assert found, f"{expected} not in {described}"
        if expected.unit is not None:
            assert found[0].unit == expected.unit, described
    if case.exactly:
        assert len(indicators) == len(case.expected), described
    for indicator in indicators:
        for field in ("target", "actual", "rate"):
            number = getattr(indicator, field)
            if number is not None:
                assert document.original_text[number.span.start : number.span.end] == number.text
