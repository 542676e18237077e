"""Floors and comparison of `recon eval` reports: which figures fell below the floor file's,
and what got better or worse since an earlier `--json` report.
"""

from __future__ import annotations

from typing import Any

from pipeline.errors import ConfigError
from pipeline.i18n import Phrase, phrase
from schemas.evaluation import Comparison, EvalError, EvalReport, MetricChange

#: Figures a floor file and `--compare` know, as dotted paths into a report's `overall`.
METRICS: tuple[str, ...] = (
    "projects.precision",
    "projects.recall",
    "projects.f1",
    "parents.accuracy",
    "indicators.precision",
    "indicators.recall",
    "indicators.f1",
    "breakdowns.precision",
    "breakdowns.recall",
    "breakdowns.f1",
    "flags.precision",
    "flags.recall",
    "flags.f1",
    "grounding.exact",
    "check_gold.precision",
    "check_gold.recall",
    "check_gold.f1",
)


def metric(scores: dict[str, Any], path: str) -> float | None:
    """The figure at a dotted path of a dumped `Scores` (None when absent)."""
    node: Any = scores
    for step in path.split("."):
        if not isinstance(node, dict) or step not in node:
            return None
        node = node[step]
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def floor_failures(report: EvalReport, floor: dict[str, Any]) -> list[Phrase]:
    """One message per figure below its floor (a floor on an unmeasured figure fails too)."""
    overall = report.overall.model_dump(mode="json")
    failures: list[Phrase] = []
    for path, minimum in sorted(floor.items()):
        if path.startswith("_"):
            continue  # comments
        if path not in METRICS or not isinstance(minimum, int | float):
            raise ConfigError(phrase("config.bad_floor", figure=repr(path), value=repr(minimum)))
        value = metric(overall, path)
        if value is None:
            key = "eval.not_measured_gold" if path.startswith("check_gold") else "eval.not_measured"
            failures.append(phrase(key, figure=path, floor=minimum))
        elif value < minimum:
            failures.append(phrase("eval.below", figure=path, value=f"{value:.4f}", floor=minimum))
    return failures


def compare_reports(old: dict[str, Any], new: EvalReport) -> Comparison:
    """Compare with an earlier report's JSON (read leniently: missing figures are `None`)."""
    new_overall = new.overall.model_dump(mode="json")
    old_overall = old.get("overall", {}) if isinstance(old.get("overall"), dict) else {}
    changes = [
        MetricChange(metric=path, old=metric(old_overall, path), new=metric(new_overall, path))
        for path in METRICS
        if metric(old_overall, path) is not None or metric(new_overall, path) is not None
    ]
    old_errors: list[EvalError] = []
    for raw in old.get("errors", []):
        try:
            old_errors.append(EvalError.model_validate(raw))
        except ValueError:
            continue  # an error kind this version does not know
    old_keys = {error.key for error in old_errors}
    new_keys = {error.key for error in new.errors}
    return Comparison(
        metrics=changes,
        new_errors=[error for error in new.errors if error.key not in old_keys],
        fixed_errors=[error for error in old_errors if error.key not in new_keys],
    )
