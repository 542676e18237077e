"""The general rules stages on short texts written for these tests (no corpus sentences)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.extract.rules.candidates import Kind, find_candidates
from pipeline.extract.rules.general import coverage, read_general, trailing_totals
from pipeline.extract.rules.projects import main_project_name
from pipeline.extract.rules.roles import money_role
from pipeline.extract.rules.tables import cells, indicator_rows, money_tables, row_label
from pipeline.ingest.read import ingest_text
from schemas import DocumentExtraction, FactKey, Flag


def _facts(text: str, organization: str | None = None) -> dict[str, dict[str, list[str]]]:
    document = ingest_text(text, name="t.txt")
    result = read_general(document, organization, set())
    return {
        p.name: {key.value: [n.normalized for n in numbers] for key, numbers in p.facts.items()}
        for p in result.projects
    }


# --- candidates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number", "unit", "kind", "excluded"),
    [
        ("修建道路12.5公里。", "12.5", "公里", Kind.COUNT, None),
        ("新建场馆800平方米，", "800", "平方米", Kind.COUNT, None),
        ("补助标准为每月发放>=530元/人*月，", "530", "元/人*月", Kind.COUNT, None),
        ("到位资金45.6万，", "45.6", "万元", Kind.MONEY, None),
        ("完成率98.5%。", "98.5", "%", Kind.PERCENT, None),
        ("于2022年3月完成。", "2022", None, Kind.BARE, "date"),
        ("依据某财发〔2022〕17号文件", "17", None, Kind.BARE, "document number"),
        ("自评得分92分。", "92", None, Kind.BARE, "score"),
        ("按每人每年600元补助，", "600", "元", Kind.MONEY, "standard"),
        ("编号12345678的合同", "12345678", None, Kind.BARE, "phone or index number"),
        ("全年收入:792.22万元，", "792.22", "万元", Kind.MONEY, None),  # a label's half-width colon
        ("会议时间12:30，", "30", None, Kind.BARE, "code"),  # a colon between digits joins a code
        ("发布时间:2022-04-15", "2022", None, Kind.BARE, "code"),
        ("编号A-17的设备", "17", None, Kind.BARE, "code"),
    ],
)
def test_candidate_units_and_exclusions(
    text: str, number: str, unit: str | None, kind: Kind, excluded: str | None
) -> None:
    found = {text[c.start : c.end]: c for c in find_candidates(text)}
    candidate = found[number]
    assert (candidate.unit, candidate.kind, candidate.excluded) == (unit, kind, excluded)


# --- roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("上级下达资金80万元", FactKey.TRANSFER_IN),
        ("实际下达预算80万元", FactKey.BUDGET_TOTAL),  # the nearest keyword wins
        ("全年共计使用80万元", FactKey.SPENT),  # an aggregator gives way to a specific keyword
        ("全年合计80万元", FactKey.BUDGET_TOTAL),  # alone, it is the programme's whole amount
        ("上年结转80万元", FactKey.CARRYOVER_IN),  # the longer keyword beats 结转
        ("年末结转80万元", FactKey.CARRYOVER_OUT),
        ("某资金80万元已全部拨付", FactKey.SPENT),  # a keyword right after the number
        ("年中追加预算80万元", FactKey.SUPPLEMENT),  # 预算 belongs to 追加, it is no keyword of its own
        ("年初预算资金80万元", FactKey.BUDGET_INITIAL),
        ("上级补助资金80万元", FactKey.TRANSFER_IN),
    ],
)
def test_role_of_a_money_amount(text: str, key: FactKey) -> None:
    start = text.index("80")
    role = money_role(text, start, start + 4, 0)
    assert role is not None and role.key is key


def test_a_keyword_inside_a_masked_name_does_not_count() -> None:
    text = "省级补助资金80万元"
    start = text.index("80")
    assert money_role(text, start, start + 4, 0) is not None
    assert money_role(text, start, start + 4, 0, masks=[(0, 6)]) is None


# --- tables -------------------------------------------------------------------------------------

_PIPE_FORM = (
    "项目名称 | 乡村道路养护 |\n"
    "资金情况(万元) | 全年预算数(A) | 全年执行数(B) | 执行率 |\n"
    "年度资金总额 | 120 | 96.5 | 80.42% |\n"
    "其中:中央资金 | 100 | 80 | 80% |\n"
    "上年结转资金 | 20 | 16.5 | 82.5% |\n"
)
_CELL_PER_LINE_FORM = _PIPE_FORM.replace(" | ", " |\n")


@pytest.mark.parametrize("text", [_PIPE_FORM, _CELL_PER_LINE_FORM], ids=["pipes", "cell-per-line"])
def test_money_table_read_from_any_flattening(text: str) -> None:
    (table,) = money_tables(text)
    assert table.unit == "万元"
    assert table.columns == [FactKey.BUDGET_TOTAL, FactKey.SPENT, FactKey.EXECUTION_RATE]
    assert table.total is not None
    assert [text[v.start : v.end] for v in table.total.values if v] == ["120", "96.5", "80.42"]
    assert [row_label(r.label) for r in table.sources] == ["中央资金", "上年结转资金"]


def test_form_gives_the_project_its_flows_and_breakdowns() -> None:
    document = ingest_text(_PIPE_FORM, name="form.txt")
    result = read_general(document, None, set())
    (project,) = result.projects
    assert project.name == "乡村道路养护"
    facts = {k.value: [n.normalized for n in v] for k, v in project.facts.items()}
    assert facts == {
        "budget_total": ["120"],
        "spent": ["96.5"],
        "execution_rate": ["80.42"],
        "carryover_in": ["20"],
    }
    assert {b.total.amount.normalized: [p.amount.normalized for p in b.parts] for b in result.breakdowns} == {
        "120": ["100", "20"],
        "96.5": ["80", "16.5"],
    }
    assert all(b.unit == "万元" for b in result.breakdowns)


def test_indicator_table_rows_with_category_and_target_signs() -> None:
    text = (
        "一级指标 |\n二级指标 |\n三级指标 |\n年度指标值 |\n实际完成值 |\n"
        "产出指标 |\n数量指标 |\n培训人次 |\n>=300人次 |\n342人次 |\n"
        "质量指标 |\n验收合格率 |\n100% |\n98% |\n"
    )
    rows = indicator_rows(text)
    assert [(r.name.text, r.category) for r in rows] == [("培训人次", "数量"), ("验收合格率", "质量")]
    first = rows[0]
    assert first.target is not None and first.actual is not None
    assert (text[first.target.start : first.target.end], text[first.actual.start : first.actual.end]) == (
        "300",
        "342",
    )


def test_cells_split_on_pipes_tabs_and_lines() -> None:
    assert [c.text for c in cells("a | b\tc\n d |")] == ["a", "b", "c", "d"]


# --- projects from the discourse ----------------------------------------------------------------


def test_title_names_the_main_project() -> None:
    text = "某县农机购置补贴资金2022年度绩效自评报告\n一、基本情况\n"
    found = main_project_name(text, None)
    assert found is not None and found[0] == "某县农机购置补贴资金"


@pytest.mark.parametrize("kind", ["项目支出", "部门整体支出", "整体支出"])
def test_a_department_report_has_no_main_project(kind: str) -> None:
    text = f"某县水利局2022年度{kind}绩效自评报告\n一、基本情况\n"
    assert main_project_name(text, "某县水利局") is None


def test_prose_flows_go_to_the_main_project() -> None:
    text = (
        "某县农机购置补贴资金2022年度绩效自评报告\n"
        "上级下达农机购置补贴资金50万元，截至年底已使用45万元，结余5万元，资金执行率90%。\n"
    )
    assert _facts(text) == {
        "某县农机购置补贴资金": {
            "transfer_in": ["50"],
            "spent": ["45"],
            "carryover_out": ["5"],
            "execution_rate": ["90"],
        }
    }


def test_flows_after_qizhong_are_flows_not_parts() -> None:
    # 其中 followed by flow keywords decomposes the funding: no breakdown of the spending
    text = "某镇环境整治项目绩效自评报告\n项目支出57.3万元，其中年初预算58万元，追加0.6万元。\n"
    facts = _facts(text)["某镇环境整治项目"]
    assert facts["spent"] == ["57.3"]
    assert facts["budget_initial"] == ["58"]
    assert facts["supplement"] == ["0.6"]


def test_funding_sources_after_qizhong_stay_parts() -> None:
    text = "某镇环境整治项目绩效自评报告\n项目预算数80万元，其中：中央补助资金50万元，省级补助资金30万元。\n"
    assert _facts(text) == {"某镇环境整治项目": {"budget_total": ["80"]}}


def test_a_flow_keyword_closes_the_part_list() -> None:
    text = (
        "某镇环境整治项目绩效自评报告\n"
        "下达资金90万元，其中甲类资金60万元，乙类资金30万元，调减10万元，全年实际下达80万元。\n"
    )
    assert _facts(text)["某镇环境整治项目"] == {
        "transfer_in": ["90"],
        "reduction": ["10"],
        "budget_total": ["80"],
    }


def test_numbered_items_under_a_spending_total_are_projects() -> None:
    text = (
        "某中心2022年项目支出绩效自评报告\n"
        "全年项目支出共计30万元，具体如下：\n"
        "1、设备维护经费10万元，主要用于设备维护；\n"
        "2、宣传培训经费20万元，主要用于宣传培训。\n"
    )
    assert _facts(text, "某中心") == {"设备维护经费": {"spent": ["10"]}, "宣传培训经费": {"spent": ["20"]}}


def test_allocation_list_items_are_budget_lines_of_the_main_project() -> None:
    text = (
        "某县全民健身补助资金绩效自评报告\n"
        "上级下达全民健身补助资金30万元。资金安排是：支持健身路径建设20万元，支持赛事活动10万元。\n"
    )
    facts = _facts(text)
    assert facts["某县全民健身补助资金"] == {"transfer_in": ["30"]}
    assert facts["健身路径建设"] == {"budget_total": ["20"]}
    assert facts["赛事活动"] == {"budget_total": ["10"]}


def test_a_text_no_stage_understands_yields_nothing_and_low_coverage() -> None:
    text = "情况说明\n甲乙丙丁共收到款项12万元及8万元，另有3万元待定。\n"
    document = ingest_text(text, name="odd.txt")
    result = read_general(document, None, set())
    assert result.projects == []
    measured = coverage(document, result.candidates, result.placed)
    assert measured.money_amounts == 3
    assert measured.ratio is not None and measured.ratio < Decimal("0.6")


def test_headings_that_name_projects_hold_their_flows() -> None:
    text = (
        "某县交通运输局2023年度项目支出绩效自评报告\n"
        "一、项目基本情况\n"
        "（一）农村公路养护项目\n"
        "该项目年初预算120万元，全年实际支出110万元，预算执行率91.67%。\n"
        "（二）客运站运营补贴资金\n"
        "年初预算40万元，实际支出40万元。\n"
        "二、存在的问题\n"
        "资金拨付进度偏慢。\n"
    )
    assert _facts(text, "某县交通运输局") == {
        "农村公路养护项目": {"budget_initial": ["120"], "spent": ["110"], "execution_rate": ["91.67"]},
        "客运站运营补贴资金": {"budget_initial": ["40"], "spent": ["40"]},
    }


def test_a_section_heading_names_no_project() -> None:
    text = "某县交通运输局2023年度项目支出绩效自评报告\n（一）资金投入情况分析\n年初预算40万元，实际支出40万元。\n"
    assert _facts(text, "某县交通运输局") == {}


def test_an_item_spread_over_places_keeps_every_amount() -> None:
    text = (
        "某市体育局2022年度转移支付资金绩效自评报告\n"
        "资金分配如下：\n"
        "1.给予甲县全民健身器材维护费12.5万元，乙区8万元，丙县6.5万元。\n"
        "2.安排青少年体育赛事经费20万元，其中：甲县12万元，乙区8万元。\n"
    )
    facts = _facts(text, "某市体育局")
    assert facts["甲县全民健身器材维护费"] == {"budget_total": ["12.5", "8", "6.5"]}
    assert facts["青少年体育赛事经费"] == {"budget_total": ["20"]}  # 其中 opens parts, not more


def test_a_keyword_right_before_its_amount_is_not_a_list_head() -> None:
    text = "资金来源为省级财政补助200万元、县级配套资金50万元，共计250万元。"
    second = text.index("50万元")
    assert money_role(text, second, second + 4, 0) is None
    listed = "下达甲项目资金100万元、乙项目资金50万元。"
    second = listed.index("50万元")
    role = money_role(listed, second, second + 4, 0)
    assert role is not None and role.key is FactKey.TRANSFER_IN  # the list inherits its head verb


def test_bare_numbers_under_a_unit_header_are_money_when_labelled_so() -> None:
    text = (
        "城市绿道建设项目绩效自评表\n"
        "项目资金（万元）：年初预算数 300，全年预算数 320，全年执行数 288，执行率 90%，分值 10\n"
    )
    assert _facts(text) == {
        "城市绿道建设项目": {
            "budget_initial": ["300"],
            "budget_total": ["320"],
            "spent": ["288"],
            "execution_rate": ["90"],
        }
    }


def test_a_units_report_on_its_projects_has_no_main_project() -> None:
    assert main_project_name("某区体育事业管理中心2022年度项目自评价\n", None) is None


def test_a_fact_stated_twice_with_two_values_reaches_the_checker() -> None:
    from pipeline.check.run import check

    text = (
        "某县图书馆免费开放补助资金绩效自评报告\n"
        "一、资金情况\n年初预算80万元，实际支出76万元。\n"
        "二、执行情况\n全年实际支出67万元，主要用于购书。\n"
    )
    document = ingest_text(text, name="twice.txt")
    from pipeline.extract.complete import complete
    from pipeline.extract.rules.extract import extract
    from pipeline.ingest.chunk import chunk_document

    extraction = complete(extract(document, chunk_document(document)), document)
    flags = [f for f in check(extraction).flags if f.rule.value == "conflict"]
    assert len(flags) == 1 and {"76", "67"} <= set(flags[0].values)


def test_an_amount_of_another_year_is_no_restatement() -> None:
    text = (
        "某县图书馆免费开放补助资金绩效自评报告\n"
        "年初预算80万元，实际支出76万元。实际支出比上年增加9万元，上年实际支出67万元。\n"
    )
    facts = _facts(text)
    assert facts["某县图书馆免费开放补助资金"]["spent"] == ["76"]
    document = ingest_text(text, name="years.txt")
    assert read_general(document, None, set()).restated == []


_PROJECT_TABLE = (
    "某县卫生健康局2023年度部门整体支出绩效自评报告\n"
    "单位：万元\n"
    "项目名称\t年初预算数\t全年执行数\t执行率\n"
    "基本公共卫生服务补助\t120\t125\t104.17%\n"
    "计划生育家庭奖励扶助\t40\t38.5\t96.25%\n"
    "合计\t160\t163.5\t102.19%\n"
)


@pytest.mark.parametrize(
    "text",
    [_PROJECT_TABLE, _PROJECT_TABLE.replace("\t", " ")],  # tabs, or a PDF row whose spaces were folded
    ids=["tabs", "pdf-spaces"],
)
def test_a_table_of_projects_gives_each_row_its_flows_and_the_total_a_breakdown(text: str) -> None:
    document = ingest_text(text, name="rows.txt")
    result = read_general(document, "某县卫生健康局", set())
    facts = {p.name: {k.value: [n.normalized for n in v] for k, v in p.facts.items()} for p in result.projects}
    assert facts == {
        "基本公共卫生服务补助": {"budget_initial": ["120"], "spent": ["125"], "execution_rate": ["104.17"]},
        "计划生育家庭奖励扶助": {"budget_initial": ["40"], "spent": ["38.5"], "execution_rate": ["96.25"]},
    }
    totals = {b.total.amount.normalized: [p.amount.normalized for p in b.parts] for b in result.breakdowns}
    assert totals == {"160": ["120", "40"], "163.5": ["125", "38.5"]}


def _extract_and_check(text: str) -> tuple[DocumentExtraction, list[Flag]]:
    from pipeline.check.run import check
    from pipeline.extract.complete import complete
    from pipeline.extract.rules.extract import extract
    from pipeline.ingest.chunk import chunk_document

    document = ingest_text(text, name="shapes.txt")
    extraction = complete(extract(document, chunk_document(document)), document)
    return extraction, list(check(extraction).flags)


def test_qizhong_shapes_that_once_gave_false_flags() -> None:
    """Issue 12 §3: 其中 followed by flows, 其中 after a sentence end, siblings' 年初预算."""
    text = (
        "某区卫生健康局2023年度项目支出绩效自评报告\n"
        "1、项目“机构运转经费”实际支出57.3万元，其中年初预算58万元、追加0.6万元，结余结转1.3万元。\n"
        "（1）甲中心运转支出30万元，其中年初预算30万元。\n"
        "（2）乙卫生院运转支出27.3万元，其中年初预算28万元。\n"
        "2、项目“公共卫生经费”年初预算100万元，实际支出87.1159万元，结转12.8841万元。"
        "其中基本公卫项目支出80万元，重大公卫项目支出7.1159万元。\n"
    )
    extraction, flags = _extract_and_check(text)
    totals = {b.total.amount.normalized for b in extraction.breakdowns}
    assert "57.3" not in totals  # the parts are flows of the project, not parts of its spending
    assert "12.8841" not in totals  # a 其中 binds to an amount of its own sentence
    assert not [f for f in flags if f.rule.value in ("conflict", "breakdown_sum")], flags
    projects = {p.name: p for p in extraction.projects}
    assert [n.normalized for n in projects["机构运转经费"].facts[FactKey.BUDGET_INITIAL]] == ["58"]
    assert [n.normalized for n in projects["机构运转经费"].facts[FactKey.SUPPLEMENT]] == ["0.6"]


def test_a_list_under_an_amount_no_project_holds_is_its_breakdown_only_when_it_adds_up() -> None:
    adds = (
        "某中心2022年项目支出绩效自评报告\n"
        "全年项目支出30万元。具体如下：\n"
        "1、设备维护经费10万元，主要用于设备维护；\n"
        "2、宣传培训经费20万元，主要用于宣传培训。\n"
    )
    result = read_general(ingest_text(adds, name="adds.txt"), "某中心", set())
    assert [(b.total.amount.normalized, [p.amount.normalized for p in b.parts]) for b in result.breakdowns] == [
        ("30", ["10", "20"])
    ]
    short = adds.replace("20万元", "15万元")
    assert read_general(ingest_text(short, name="short.txt"), "某中心", set()).breakdowns == []


def test_parts_given_with_counts_profile_categories_and_claim_no_sum() -> None:
    text = (
        "某局2024年度部门整体支出绩效自评报告\n"
        "项目支出总额600万元。其中，本级项目8个，本级项目支出385.58万元；对下转移支付项目2个，对下转移支付100万元。\n"
    )
    extraction, flags = _extract_and_check(text)
    profiled = [b for b in extraction.breakdowns if b.total.amount.normalized == "600"]
    assert profiled and not profiled[0].exhaustive
    assert not [f for f in flags if f.rule.value == "breakdown_sum"]


def test_a_department_form_splits_its_total_twice() -> None:
    text = (
        "部门整体支出绩效自评表\n"
        "年度预算申请（万元）\t年初预算数\t全年预算数\t全年执行数\n"
        "年度资金总额\t500\t520\t510\n"
        "按收入性质分\t500\t520\t510\n"
        "其中：一般公共预算\t480\t500\t492\n"
        "政府性基金拨款\t20\t20\t18\n"
        "按支出性质分\t500\t520\t510\n"
        "其中：基本支出\t400\t410\t409\n"
        "项目支出\t100\t110\t101\n"
    )
    result = read_general(ingest_text(text, name="dept.txt"), None, set())
    splits = sorted(
        (b.total.amount.normalized, tuple(p.amount.normalized for p in b.parts)) for b in result.breakdowns
    )
    assert splits == [
        ("510", ("409", "101")),
        ("510", ("492", "18")),
        ("520", ("410", "110")),
        ("520", ("500", "20")),
    ]


def test_a_vague_whole_amount_gives_way_to_the_money_actually_received() -> None:
    text = (
        "某县高标准农田建设项目绩效自评报告\n"
        "该项目计划投资800万元，实际到位资金780万元。项目累计支出740万元，剩余资金40万元结转下年使用。\n"
    )
    extraction, flags = _extract_and_check(text)
    (project,) = extraction.projects
    assert [n.normalized for n in project.facts[FactKey.BUDGET_TOTAL]] == ["780"]
    assert not flags


def test_a_sentence_opening_with_qizhong_spells_out_the_amount_its_parts_add_up_to() -> None:
    text = (
        "某中心项目资金绩效自评报告\n"
        "2022年信息中心项目到位资金100万元。实际支出100万元，完成全年预算的100%。"
        "其中网络运行维护支出60万元，设备更新支出40万元。\n"
    )
    extraction, flags = _extract_and_check(text)
    projects = {p.name: p for p in extraction.projects}
    assert projects["网络运行维护"].parent == projects["设备更新"].parent == "信息中心项目"
    assert [(b.total.amount.normalized, [p.amount.normalized for p in b.parts]) for b in extraction.breakdowns] == [
        ("100", ["60", "40"])
    ]
    assert not flags


def test_qizhong_after_a_sentence_end_binds_nothing_when_its_parts_do_not_add_up() -> None:
    text = (
        "某中心项目资金绩效自评报告\n"
        "2022年信息中心项目到位资金100万元。实际支出90万元，结转10万元。"
        "其中网络运行维护支出60万元，设备更新支出20万元。\n"
    )
    extraction, _ = _extract_and_check(text)
    assert not [b for b in extraction.breakdowns if b.total.amount.normalized in ("90", "10")]


def test_a_total_written_after_its_parts_is_a_breakdown_when_they_add_up() -> None:
    adds = "资金分配情况：分配至甲县12.5万元，乙区8万元，丙县4.5万元，共计25万元。"
    drafts = trailing_totals(adds, find_candidates(adds))
    assert [(adds[d.total.start : d.total.end], [label for label, _ in d.parts]) for d in drafts] == [
        ("25", ["甲县", "乙区", "丙县"])
    ]
    short = adds.replace("共计25万元", "共计30万元")
    assert trailing_totals(short, find_candidates(short)) == []


def test_two_totals_labelled_only_by_an_aggregator_are_not_one_quantity() -> None:
    text = (
        "某市文化旅游局专项资金绩效自评报告\n"
        "1.分配甲县10万元，乙县20万元，共计30万元。\n"
        "2.分配甲县15万元，丙县25万元，共计40万元。\n"
    )
    _, flags = _extract_and_check(text)
    assert not [f for f in flags if f.rule.value == "conflict"]


def test_one_form_per_project_gives_each_project_its_own_money() -> None:
    form = (
        "项目名称 | {name} |\n"
        "项目资金（万元） | 全年预算数 | 全年执行数 | 执行率 |\n"
        "年度资金总额 | {budget} | {spent} | {rate}% |\n"
    )
    text = (
        "某局2023年度项目支出绩效自评表\n"
        + form.format(name="道路养护经费", budget="100", spent="90", rate="90")
        + form.format(name="路灯维护经费", budget="50", spent="50", rate="100")
    )
    facts = _facts(text, "某局")
    assert facts["道路养护经费"] == {"budget_total": ["100"], "spent": ["90"], "execution_rate": ["90"]}
    assert facts["路灯维护经费"] == {"budget_total": ["50"], "spent": ["50"], "execution_rate": ["100"]}


_HEALTH_REPORT = (
    "某市卫生健康委员会\n"
    "2023年度基本公共卫生服务项目绩效自评报告\n"
    "一、项目资金情况\n"
    "（一）资金来源\n"
    "项目资金总额为4586.20万元，其中：中央补助3210.34万元，省级补助917.24万元，市级配套458.62万元。\n"
    "（二）资金使用\n"
    "累计支出4402.75万元，资金执行率96.00%，结余183.45万元。\n"
    "二、绩效指标完成情况\n"
    "1.居民电子健康档案建档率：目标值≥90%，实际完成93.6%。\n"
    "2.65岁及以上老年人健康管理人数：目标值52000人，实际完成53418人，完成率102.73%。\n"
)


def test_aspect_headings_and_funding_sources_name_no_project() -> None:
    extraction, flags = _extract_and_check(_HEALTH_REPORT)
    assert [(p.name, sorted(k.value for k in p.facts)) for p in extraction.projects] == [
        ("基本公共卫生服务项目", ["budget_total", "carryover_out", "execution_rate", "spent"])
    ]
    (split,) = extraction.breakdowns
    assert [p.label for p in split.parts] == ["中央补助", "省级补助", "市级配套"]
    assert not flags


def test_an_indicator_named_only_by_a_value_label_takes_its_line_label() -> None:
    extraction, _ = _extract_and_check(_HEALTH_REPORT)
    names = {i.name: (i.target.normalized if i.target else None) for i in extraction.indicators}
    assert names == {"居民电子健康档案建档率": "90", "65岁及以上老年人健康管理人数": "52000"}


def test_allotments_from_several_levels_add_and_a_local_share_is_no_flow() -> None:
    text = (
        "2023年度残疾人两项补贴资金绩效自评报告\n"
        "2023年中央财政下达我市两项补贴资金2000万元（某财社〔2023〕12号），省级财政下达500万元，"
        "市级安排配套资金300万元，共计2800万元。已拨付资金2650万元，拨付率94.64%，剩余150万元结转下年使用。\n"
    )
    extraction, flags = _extract_and_check(text)
    (project,) = extraction.projects
    facts = {k.value: [n.normalized for n in v] for k, v in project.facts.items()}
    assert facts["transfer_in"] == ["2000", "500"]
    assert facts["budget_total"] == ["2800"]  # not the 300 of a local share
    assert [b.total.amount.normalized for b in extraction.breakdowns] == ["2800"]
    assert not flags
