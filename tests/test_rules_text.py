"""The rules lexicon against GOLD_FORMAT.md "Conventions for hard cases" (allotments, rates)."""

from __future__ import annotations

import pytest

from pipeline.extract.rules.text import AMOUNT_RE, PERCENT_RE, classify_flow, is_rate_label, label_before
from schemas import FactKey


def _label_of_last_amount(clause: str) -> str:
    """The label `label_before` gives the clause's last amount, as the rules backend reads it."""
    matches = list(AMOUNT_RE.finditer(clause)) or list(PERCENT_RE.finditer(clause))
    label, _ = label_before(clause, matches[-1].start("number"), 0)
    return label


@pytest.mark.parametrize(
    ("clause", "key"),
    [
        pytest.param("，下达我区111万元", FactKey.TRANSFER_IN, id="allotted-from-above"),
        pytest.param("，资金下达111万元", FactKey.TRANSFER_IN, id="allotted-final-da-dropped"),
        pytest.param("，中央补助20万元", FactKey.TRANSFER_IN, id="central-subsidy"),
        pytest.param("，省级财政补助20万元", FactKey.TRANSFER_IN, id="provincial-subsidy"),
        pytest.param("，上级转移支付9.05万元", FactKey.TRANSFER_IN, id="transfer-payment"),
        pytest.param("，中央下达专项资金预算189.28万元", FactKey.BUDGET_TOTAL, id="allotment-as-budget"),
        pytest.param("，全年实际下达71万元", FactKey.BUDGET_TOTAL, id="year-total-allotted"),
        pytest.param("，年初预算225万元", FactKey.BUDGET_INITIAL, id="initial-budget"),
        pytest.param("，实际支出228.65万元", FactKey.SPENT, id="spent"),
    ],
)
def test_allotments_from_above_are_transfer_in_unless_stated_as_a_budget(clause: str, key: FactKey) -> None:
    assert classify_flow(_label_of_last_amount(clause)) is key


@pytest.mark.parametrize(
    ("clause", "rate"),
    [
        ("，预算执行率100%", True),
        ("，资金使用率100%", True),
        ("，发放率100%", True),
        ("，兑付率98%", False),
        ("，资金补贴完成率90%", False),
    ],
)
def test_only_rates_of_the_projects_own_money_are_execution_rates(clause: str, rate: bool) -> None:
    assert is_rate_label(_label_of_last_amount(clause)) is rate
