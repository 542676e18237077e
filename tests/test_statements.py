"""The label rules behind the `conflict` rule: framing, roles and fund names (`pipeline.check.labels`)."""

from __future__ import annotations

import pytest

from pipeline.check.labels import fund_core, fund_name_matches, fund_of_label, label_role, statement_label


@pytest.mark.parametrize(
    ("label", "fiscal_year", "expected"),
    [
        pytest.param("2023年本单位总支出", 2023, "支出", id="fiscal-year-framing-and-leading-zong"),
        pytest.param("全年总支出", 2023, "支出", id="quan-nian"),
        pytest.param("2023年度我局财政专项资金收入", 2023, "财政专项资金收入", id="fiscal-year-du-and-wo-ju"),
        pytest.param("2022年度总支出", 2023, "2022年支出", id="another-year-stays"),
        pytest.param("2023年度总支出", None, "2023年支出", id="unknown-fiscal-year-keeps-the-year"),
        pytest.param("2022年本单位总支出", 2023, "2022年支出", id="framing-after-another-year"),
        pytest.param("3、2021年度单位一般公共预算财政拨款支出", 2021, "单位一般公共预算财政拨款支出", id="ordinal"),
        pytest.param("上年结余", 2023, "上年结余", id="shang-nian-is-not-framing"),
        pytest.param("部门整体支出", 2023, "部门整体支出", id="bare-bumen-is-not-framing"),
    ],
)
def test_statement_label(label: str, fiscal_year: int | None, expected: str) -> None:
    assert statement_label(label, fiscal_year) == expected


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("三公经费财政拨款支出预算", "budget"),
        ("支出决算", "spent"),
        ("预算收入", "income"),
        ("年初预算", "budget_initial"),
        ("结余结转", "balance"),
        ("上年结余结转", "carryover_in"),
        ("投入资金", "budget"),
        ("公务接待费", None),
    ],
)
def test_label_role_is_read_from_the_head_word(label: str, role: str | None) -> None:
    assert label_role(label) == role


def test_fund_names_follow_the_prefix_and_locality_rules() -> None:
    assert fund_of_label("衔接资金项目投入资金") == ("衔接", "budget")
    assert fund_of_label("实际支出") is None  # no fund named
    assert fund_of_label("公务接待费") is None  # no role word
    assert fund_core("2023年衔接资金项目", 2023) == "衔接"
    assert fund_name_matches("衔接", "衔接")
    assert fund_name_matches("无为市乡村振兴补助", "乡村振兴补助")
    assert not fund_name_matches("产业衔接", "衔接")  # a suffix shorter than 4 characters
    assert not fund_name_matches("2022年乡村振兴补助", "乡村振兴补助")  # another year's fund
    assert not fund_name_matches("", "衔接")
