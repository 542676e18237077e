"""The `score` rule: the arithmetic of a 绩效自评表.

- each row's 得分 ≤ 分值;
- Σ 分值 = 100 (or = the total row's 分值 when one is stated);
- the total row's 得分 = Σ 得分;
- the 预算执行率 row: 得分 = min(执行率, 100%) × 分值, matched by rounding or
  truncation to the decimals the score is written with.

Numbers are exact decimals; a score is exact to half a unit of its last written
digit, a stated zero exactly zero. Nothing here runs without the numbers it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pipeline.check.flows import CheckState
from pipeline.check.interval import half_unit, round_to, truncate_to
from schemas import Flag, Rule, ScoreLine, Severity, StatedNumber

HUNDRED = Decimal(100)


def _half(number: StatedNumber, decimals: int) -> Decimal:
    """Half a unit of the table's precision (`9` in a table with `9.86` means 9.00); zero is exact."""
    if number.value == 0:
        return Decimal(0)
    return half_unit(max(number.decimals, decimals))


def _flag(
    state: CheckState,
    subject: str,
    message: str,
    equation: str,
    numbers: Sequence[StatedNumber],
    stated: Decimal,
    recomputed: Decimal,
    tolerance: Decimal,
) -> None:
    excess = abs(stated - recomputed) - tolerance
    severity = Severity.WARNING if excess <= 2 * half_unit(numbers[0].decimals) * 2 else Severity.ERROR
    state.flags.append(
        Flag(
            rule=Rule.SCORE,
            severity=severity,
            subject=subject,
            message=message,
            equation=equation,
            values=[n.normalized for n in numbers],
            stated=stated,
            recomputed=recomputed,
            difference=stated - recomputed,
            tolerance=tolerance,
            spans=[n.span for n in numbers],
        )
    )


def _sum_check(
    state: CheckState,
    decimals: int,
    subject: str,
    what: str,
    total: StatedNumber | Decimal,
    parts: list[StatedNumber],
) -> None:
    """`total = Σ parts` within the parts' (and a stated total's) rounding."""
    recomputed = sum((p.value for p in parts), Decimal(0))
    tolerance = sum((_half(p, decimals) for p in parts), Decimal(0))
    if isinstance(total, StatedNumber):
        stated, tolerance, numbers = total.value, tolerance + _half(total, decimals), [total, *parts]
        stated_text = total.normalized
    else:
        stated, numbers, stated_text = total, list(parts), str(total)
    if abs(stated - recomputed) <= tolerance:
        state.passed += 1
        return
    equation = f"{stated_text} ≠ " + " + ".join(p.normalized for p in parts) + f" = {recomputed}"
    _flag(
        state,
        subject,
        f"{what}: stated {stated_text}, rows add up to {recomputed}",
        equation,
        numbers,
        stated,
        recomputed,
        tolerance,
    )


def _execution_score(state: CheckState, line: ScoreLine, decimals: int) -> None:
    assert line.rate is not None and line.weight is not None and line.score is not None
    expected = min(line.rate.value, HUNDRED) / HUNDRED * line.weight.value
    written = line.score.decimals
    if line.score.value in (round_to(expected, written), truncate_to(expected, written)):
        state.passed += 1
        return
    tolerance = (
        _half(line.score, decimals) + line.weight.value * _half(line.rate, line.rate.decimals) / HUNDRED
    )
    if abs(line.score.value - expected) <= tolerance:
        state.passed += 1
        return
    shown = expected.normalize()
    equation = (
        f"min({line.rate.normalized}%, 100%) × {line.weight.normalized} = {shown} ≠ {line.score.normalized}"
    )
    _flag(
        state,
        line.label,
        f"{line.label}: score {line.score.normalized} but min(执行率, 100%) × 分值 gives {shown}",
        equation,
        [line.score, line.rate, line.weight],
        line.score.value,
        expected,
        tolerance,
    )


def check_scores(state: CheckState, lines: Sequence[ScoreLine]) -> None:
    """Test one document's 自评表 rows (several tables are checked as one when no total splits them)."""
    numbers = [n for line in lines for n in (line.weight, line.score) if n is not None]
    decimals = max((n.decimals for n in numbers), default=0)
    rows = [line for line in lines if not line.is_total]
    totals = [line for line in lines if line.is_total]
    for line in rows:
        if line.weight is not None and line.score is not None:
            if line.score.value - _half(line.score, decimals) > line.weight.value + _half(
                line.weight, decimals
            ):
                _flag(
                    state,
                    line.label,
                    f"{line.label}: score {line.score.normalized} exceeds weight {line.weight.normalized}",
                    f"{line.score.normalized} > {line.weight.normalized}",
                    [line.score, line.weight],
                    line.score.value,
                    line.weight.value,
                    _half(line.score, decimals) + _half(line.weight, decimals),
                )
            else:
                state.passed += 1
        if (
            line.rate is not None
            and line.weight is not None
            and line.score is not None
            and "执行率" in line.label
        ):
            _execution_score(state, line, decimals)
    weights = [line.weight for line in rows if line.weight is not None]
    scores = [line.score for line in rows if line.score is not None]
    total = totals[0] if totals else None
    if total is not None and total.weight is not None and weights:
        _sum_check(state, decimals, total.label, "Σ分值", total.weight, weights)
    elif len(weights) >= 3:
        _sum_check(state, decimals, "分值", "Σ分值 should be 100", HUNDRED, weights)
    if total is not None and total.score is not None and scores:
        _sum_check(state, decimals, total.label, "总分", total.score, scores)
