"""The runs of a store as a reviewer sees them: backend, model, prompt, counts, cost, duration.

`Store.runs()` gives the `RunRecord`s; this adds what `runs.accounting` holds (model
calls and tokens: the cost of an LLM run) and the wall time from `started` to
`finished`. `recon runs` and the runs page of `recon serve` both show `list_runs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.store import Store
from schemas import Accounting
from schemas.stored import RunRecord


@dataclass(frozen=True)
class RunView:
    """One run with its model usage and duration (None while running or when aborted)."""

    record: RunRecord
    accounting: Accounting
    seconds: float | None

    @property
    def tokens(self) -> int:
        return self.accounting.prompt_tokens + self.accounting.completion_tokens


def _seconds(started: str, finished: str | None) -> float | None:
    if finished is None:
        return None
    try:
        return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    except ValueError:
        return None


def list_runs(store: Store) -> list[RunView]:
    """Every run, newest first."""
    usage = store.run_accounting()
    views = [
        RunView(record, usage.get(record.id, Accounting()), _seconds(record.started, record.finished))
        for record in store.runs()
    ]
    return sorted(views, key=lambda view: view.record.id, reverse=True)


def duration_text(seconds: float | None) -> str:
    """`1.4 s`, `2 min 5 s`, or `–` for a run that did not finish."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
