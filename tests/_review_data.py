"""A small store for the review/export/report tests, filled through the Store API.

Two documents: `hostile.txt` carries HTML/markup injection in its project names
and text and two flags; `plain.txt` one ratio flag. Every number's span is found
in the real file text, so passages and marks can be checked against it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pipeline.store import Store
from schemas import (
    Breakdown,
    BreakdownItem,
    CheckReport,
    DocumentExtraction,
    DocumentResult,
    DocumentStatus,
    Flag,
    Indicator,
    Project,
    Rule,
    Severity,
    SkippedCheck,
    Span,
    StatedNumber,
)
from schemas.extraction import FactKey

HOSTILE_NAME = "<script>alert(1)</script>"
IMG_NAME = '"><img src=x onerror=alert(2)>'
HOSTILE_TEXT = (
    "一、项目资金情况\n"
    f"1、项目“{HOSTILE_NAME}”年初预算100万元，实际支出90万元，结余结转5万元。\n"
    "其中：人员经费60万元，公用经费35万元。\n"
    f"2、项目“{IMG_NAME}”[bold]红[/bold]年初预算225万元，年中调增上级转移支付9.05万元，"
    "实际支出228.65万元，结余结转5.4万元。\n"
)
PLAIN_TEXT = (
    "二、绩效指标完成情况\n"
    "1、培训人数目标200人，实际完成180人，完成率95%。\n"
)
FLOW_EQUATION = "100 = 100 ≠ 90 + 5 = 95"


def number(text: str, needle: str, unit: str | None, after: int = 0) -> StatedNumber:
    """The StatedNumber for the first `needle` at or after `after` in `text`."""
    start = text.index(needle, after)
    return StatedNumber(
        text=needle, normalized=needle, value=Decimal(needle), unit=unit,
        span=Span(start=start, end=start + len(needle)),
    )


@dataclass(frozen=True)
class Sample:
    db_path: Path
    hostile_path: Path
    plain_path: Path
    hostile_result: DocumentResult
    plain_result: DocumentResult
    run_id: int


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hostile_result(path: Path) -> DocumentResult:
    text = HOSTILE_TEXT
    second = text.index("2、")
    b100 = number(text, "100", "万元")
    s90 = number(text, "90", "万元")
    c5 = number(text, "5", "万元", text.index("结余结转"))
    p60 = number(text, "60", "万元")
    p35 = number(text, "35", "万元")
    projects = [
        Project(
            name=HOSTILE_NAME, unit="万元",
            facts={FactKey.BUDGET_INITIAL: [b100], FactKey.SPENT: [s90], FactKey.CARRYOVER_OUT: [c5]},
        ),
        Project(
            name=IMG_NAME, unit="万元",
            facts={
                FactKey.BUDGET_INITIAL: [number(text, "225", "万元", second)],
                FactKey.TRANSFER_IN: [number(text, "9.05", "万元", second)],
                FactKey.SPENT: [number(text, "228.65", "万元", second)],
                FactKey.CARRYOVER_OUT: [number(text, "5.4", "万元", second)],
            },
        ),
    ]
    breakdown = Breakdown(
        unit="万元", total=BreakdownItem(label="实际支出", amount=s90),
        parts=[BreakdownItem(label="人员经费", amount=p60), BreakdownItem(label="公用经费", amount=p35)],
    )
    flags = [
        Flag(
            rule=Rule.FLOW_IDENTITY, severity=Severity.ERROR, subject=HOSTILE_NAME,
            message="sources and uses differ by 5万元", equation=FLOW_EQUATION,
            values=["100", "90", "5"], stated=Decimal(100), recomputed=Decimal(95),
            difference=Decimal(5), tolerance=Decimal("0.5"), unit="万元",
            spans=[b100.span, s90.span, c5.span],
        ),
        Flag(
            rule=Rule.BREAKDOWN_SUM, severity=Severity.WARNING, subject="实际支出",
            message="parts add up to 95, not 90", equation="90 ≠ 60 + 35 = 95",
            values=["90", "60", "35"], unit="万元", spans=[s90.span, p60.span, p35.span],
        ),
    ]
    skipped = [
        SkippedCheck(
            rule=Rule.RATIO, subject=HOSTILE_NAME, code="skip.rate_no_basis",
            reason="execution_rate stated without spending and a budget to recompute it",
        )
    ]
    return DocumentResult(
        document=path.name, path=str(path), sha256=_sha(path), status=DocumentStatus.OK, backend="rules",
        extraction=DocumentExtraction(document=path.name, projects=projects, breakdowns=[breakdown]),
        check=CheckReport(flags=flags, skipped=skipped, passed=1),
    )


def plain_result(path: Path) -> DocumentResult:
    text = PLAIN_TEXT
    target = number(text, "200", "人")
    actual = number(text, "180", "人")
    rate = number(text, "95", "%")
    indicator = Indicator(name="培训人数", target=target, actual=actual, rate=rate, unit="人")
    flag = Flag(
        rule=Rule.RATIO, severity=Severity.INFO, subject="培训人数",
        message="stated rate is not actual/target",
        equation="180 / 200 = 90% ≠ 95%", values=["95", "180", "200"],
        spans=[rate.span, actual.span, target.span],
    )
    return DocumentResult(
        document=path.name, path=str(path), sha256=_sha(path), status=DocumentStatus.OK, backend="rules",
        extraction=DocumentExtraction(document=path.name, indicators=[indicator]),
        check=CheckReport(flags=[flag]),
    )


def store_run(db_path: Path, results: list[DocumentResult]) -> int:
    """One finished run storing `results`; returns its id."""
    from schemas import Accounting
    from schemas.stored import RunCounts

    with Store(db_path) as store:
        run_id = store.begin_run("rules", None, None, ["recon", "run"])
        for result in results:
            store.store_document(run_id, result, result.sha256, len(result.path))
        store.finish_run(run_id, RunCounts(documents=len(results), ok=len(results)), Accounting())
    return run_id


def make_sample(folder: Path) -> Sample:
    """Write the two documents into `folder/docs` and store one run of them in `folder/recon.db`."""
    docs = folder / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    hostile_path = docs / "hostile.txt"
    hostile_path.write_text(HOSTILE_TEXT, encoding="utf-8")
    plain_path = docs / "plain.txt"
    plain_path.write_text(PLAIN_TEXT, encoding="utf-8")
    hostile = hostile_result(hostile_path)
    plain = plain_result(plain_path)
    db_path = folder / "recon.db"
    run_id = store_run(db_path, [hostile, plain])
    return Sample(db_path, hostile_path, plain_path, hostile, plain, run_id)
