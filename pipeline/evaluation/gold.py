"""Read, write and convert gold files (`recon-gold/1`).

`load_gold` turns any malformed file into a `GoldFormatError` that names the
file and the JSON path of the fault (`projects[3].facts.spent`), so an
annotator can fix it without reading a pydantic traceback.
`gold_to_extraction` lets the checker run on the gold facts themselves
(`recon eval --check-gold`); `extraction_to_gold` pre-fills a draft gold file
from an extraction (`recon gold draft`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.check.labels import label_role, statement_label
from pipeline.errors import GoldFormatError
from pipeline.extract.statements import statements_from_breakdowns
from pipeline.i18n import phrase
from schemas import (
    Breakdown,
    BreakdownItem,
    DocumentExtraction,
    FactKey,
    Flag,
    Indicator,
    Project,
    Span,
    StatedNumber,
    StatedRatio,
    Statement,
    YearMention,
)
from schemas.gold import (
    GoldAmount,
    GoldBreakdown,
    GoldBreakdownItem,
    GoldDocument,
    GoldFactItem,
    GoldFactValue,
    GoldInconsistency,
    GoldIndicator,
    GoldProject,
    GoldRatio,
    GoldStatement,
    fact_items,
    item_unit,
    item_value,
)

#: File name suffix of a gold file; the rest is the source document's stem.
GOLD_SUFFIX = ".gold.json"
#: Unit of a stated rate (execution_rate, indicator rate).
PERCENT = "%"

_YEAR_RE = re.compile(r"((?:19|20)\d{2})年")
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
_NO_SPAN = Span(start=0, end=0)


def gold_stem(path: Path) -> str:
    """The source document stem a gold file belongs to (`004_x.gold.json` -> `004_x`)."""
    name = path.name
    return name[: -len(GOLD_SUFFIX)] if name.endswith(GOLD_SUFFIX) else path.stem


def _json_path(data: Any, loc: tuple[int | str, ...], missing: bool = False) -> str:
    """Render a pydantic error location as `projects[3].facts.spent`.

    Pydantic inserts union member tags (`str`, `GoldAmount`, `list[...]`) into
    the location; they are dropped by walking the raw JSON alongside and only
    keeping steps that exist in it. For a missing key (`missing=True`) the last
    step is kept: it names the key that should be there.
    """
    parts: list[str] = []
    node: Any = data
    for position, step in enumerate(loc):
        if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            parts.append(f"[{step}]")
            node = node[step]
        elif isinstance(node, dict) and isinstance(step, str) and step in node:
            parts.append(f".{step}" if parts else step)
            node = node[step]
        elif missing and position == len(loc) - 1:
            parts.append(f".{step}" if parts else str(step))
    return "".join(parts) or "$"


def _error_path(data: Any, error: Any) -> str:
    return _json_path(data, tuple(error["loc"]), missing=error["type"] == "missing")


def _format_validation_error(path: Path, data: Any, error: ValidationError) -> GoldFormatError:
    """One `GoldFormatError` for the first faulty location; union alternatives merged."""
    errors = error.errors()
    # pydantic reports every union alternative; the deepest location under the
    # first fault is the most specific one (`supplement[2].value`, not `supplement`)
    paths = [_error_path(data, item) for item in errors]
    first_path = max((p for p in paths if p.startswith(paths[0])), key=len)
    reasons: list[str] = []
    for item, item_path in zip(errors, paths, strict=True):
        if item_path == first_path and item["msg"] not in reasons:
            reasons.append(item["msg"])
    more = len({p for p in paths if not first_path.startswith(p)})
    reason = "; or ".join(reasons)
    if more > 0:
        reason += f" (and {more} more fault(s) elsewhere)"
    return GoldFormatError(str(path), first_path, reason)


def _check_references(path: Path, gold: GoldDocument) -> None:
    """Checks pydantic cannot express: unique project names, parents that exist, the document stem."""
    seen: set[str] = set()
    for index, project in enumerate(gold.projects):
        if project.name in seen:
            raise GoldFormatError(
                str(path),
                f"projects[{index}].name",
                phrase("gold.duplicate_project", name=repr(project.name)),
            )
        seen.add(project.name)
    for index, project in enumerate(gold.projects):
        if project.parent is not None and project.parent not in seen:
            raise GoldFormatError(
                str(path), f"projects[{index}].parent", phrase("gold.no_parent", name=repr(project.parent))
            )
    if path.name.endswith(GOLD_SUFFIX) and Path(gold.document).stem != gold_stem(path):
        raise GoldFormatError(
            str(path),
            "document",
            phrase("gold.stem_mismatch", document=repr(gold.document), stem=repr(gold_stem(path))),
        )


def parse_gold(path: Path, text: str) -> GoldDocument:
    """Validate the JSON `text` of the gold file `path` (named in errors)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GoldFormatError(
            str(path), "$", phrase("gold.invalid_json", detail=exc.msg, line=exc.lineno, column=exc.colno)
        ) from exc
    try:
        gold = GoldDocument.model_validate(data)
    except ValidationError as exc:
        raise _format_validation_error(path, data, exc) from exc
    _check_references(path, gold)
    return gold


def load_gold(path: Path) -> GoldDocument:
    """Read and validate one gold file; any fault raises `GoldFormatError` naming file and JSON path."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFormatError(str(path), "$", phrase("gold.cannot_read", detail=exc)) from exc
    return parse_gold(path, text)


def gold_files(directory: Path) -> list[Path]:
    """The gold files of a directory, sorted by name."""
    if not directory.is_dir():
        raise GoldFormatError(str(directory), "$", phrase("gold.not_a_folder"))
    return sorted(p for p in directory.iterdir() if p.name.endswith(GOLD_SUFFIX) and p.is_file())


def load_gold_dir(directory: Path) -> list[GoldDocument]:
    """Every `*.gold.json` in `directory`, sorted by file name."""
    return [load_gold(path) for path in gold_files(directory)]


def dump_gold(gold: GoldDocument) -> str:
    """A gold file's JSON text: two-space indent, Chinese kept readable, defaults included."""
    data = gold.model_dump(mode="json", exclude_none=False)
    if not gold.draft:
        data.pop("draft")
    for indicator in data["indicators"]:
        if indicator.get("category") is None:
            indicator.pop("category", None)
    for breakdown in data["breakdowns"]:
        for item in [breakdown["total"], *breakdown["parts"]]:
            if item.get("unit") is None:
                item.pop("unit", None)
    for project in data["projects"]:
        for key, value in project["facts"].items():
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict) and item.get("unit") is None:
                    item.pop("unit")
            project["facts"][key] = value
    for inconsistency in data["inconsistencies"]:
        if inconsistency.get("note") is None:
            inconsistency.pop("note", None)
    for optional in ("statements", "ratios"):
        if not data[optional]:
            data.pop(optional)
            continue
        for entry in data[optional]:
            for key in ("unit", "scope", "note"):
                if key in entry and entry[key] is None:
                    entry.pop(key)
            for key in ("numerator", "denominator"):
                if isinstance(entry.get(key), dict) and entry[key].get("unit") is None:
                    entry[key].pop("unit")
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- gold -> extraction -------------------------------------------------------------------------


def _number(text: str, unit: str | None) -> StatedNumber:
    """A gold number as a `StatedNumber` with an empty span (gold has no offsets)."""
    return StatedNumber(text=text, normalized=text, value=Decimal(text), unit=unit, span=_NO_SPAN)


def _fact_unit(key: FactKey, item: GoldFactItem, project_unit: str | None) -> str | None:
    default = PERCENT if key is FactKey.EXECUTION_RATE else project_unit
    return item_unit(item, default)


def _project_from_gold(project: GoldProject) -> Project:
    facts = {
        key: [_number(item_value(item), _fact_unit(key, item, project.unit)) for item in fact_items(value)]
        for key, value in project.facts.items()
    }
    return Project(name=project.name, parent=project.parent, unit=project.unit, facts=facts, source="gold")


def _indicator_from_gold(indicator: GoldIndicator) -> Indicator:
    def number(text: str | None, unit: str | None) -> StatedNumber | None:
        return None if text is None else _number(text, unit)

    return Indicator(
        name=indicator.name,
        target=number(indicator.target, indicator.unit),
        actual=number(indicator.actual, indicator.unit),
        rate=number(indicator.rate, PERCENT),
        unit=indicator.unit,
        category=indicator.category,
        source="gold",
    )


def _breakdown_from_gold(breakdown: GoldBreakdown) -> Breakdown:
    def item(entry: GoldBreakdownItem) -> BreakdownItem:
        return BreakdownItem(label=entry.label, amount=_number(entry.value, entry.unit or breakdown.unit))

    return Breakdown(
        unit=breakdown.unit,
        total=item(breakdown.total),
        parts=[item(part) for part in breakdown.parts],
        exhaustive=True,
        source="gold",
    )


def _statement_from_gold(statement: GoldStatement, fiscal_year: int | None) -> Statement:
    """A gold statement as the checker's: label normalised, null scope = the report (its fiscal year)."""
    label = statement_label(statement.label, fiscal_year)
    scope = statement.scope if statement.scope is not None else (str(fiscal_year) if fiscal_year else None)
    return Statement(
        label=label, scope=scope, amount=_number(statement.value, statement.unit), role=label_role(label)
    )


def _ratio_from_gold(ratio: GoldRatio) -> StatedRatio:
    return StatedRatio(
        label=ratio.label,
        value=_number(ratio.value, ratio.unit),
        numerator=_number(item_value(ratio.numerator), item_unit(ratio.numerator, None)),
        denominator=_number(item_value(ratio.denominator), item_unit(ratio.denominator, None)),
        scale=100 if ratio.unit == PERCENT else 1,
    )


def gold_to_extraction(gold: GoldDocument) -> DocumentExtraction:
    """The gold facts as a `DocumentExtraction`, so the checker can run on them.

    Numbers get `Span(0, 0)`, `text == normalized ==` the gold string; a fact's
    unit is its own, else the project's (`%` for `execution_rate`); breakdowns
    are exhaustive. Years written in project names (`2033年…`) become
    `YearMention`s so the date rule can see them. Statements are derived from
    the gold breakdowns as the rules backend derives them, followed by the gold
    file's own `statements`; its `ratios` become stated ratios.
    """
    years = [
        YearMention(year=int(match.group(1)), subject=project.name, span=_NO_SPAN)
        for project in gold.projects
        for match in _YEAR_RE.finditer(project.name)
    ]
    breakdowns = [_breakdown_from_gold(breakdown) for breakdown in gold.breakdowns]
    return DocumentExtraction(
        document=gold.document,
        organization=gold.organization,
        fiscal_year=gold.fiscal_year,
        projects=[_project_from_gold(project) for project in gold.projects],
        indicators=[_indicator_from_gold(indicator) for indicator in gold.indicators],
        breakdowns=breakdowns,
        statements=[
            *statements_from_breakdowns(breakdowns, gold.fiscal_year),
            *(_statement_from_gold(statement, gold.fiscal_year) for statement in gold.statements),
        ],
        years=years,
        ratios=[_ratio_from_gold(ratio) for ratio in gold.ratios],
    )


# --- extraction -> gold -------------------------------------------------------------------------


def _majority_unit(numbers: Sequence[StatedNumber]) -> str | None:
    counts = Counter(number.unit for number in numbers if number.unit is not None and number.unit != PERCENT)
    return counts.most_common(1)[0][0] if counts else None


def _fact_to_gold(key: FactKey, numbers: Sequence[StatedNumber], project_unit: str | None) -> GoldFactValue:
    default = PERCENT if key is FactKey.EXECUTION_RATE else project_unit
    items: list[GoldFactItem] = [
        number.normalized
        if number.unit == default or number.unit is None
        else GoldAmount(value=number.normalized, unit=number.unit)
        for number in numbers
    ]
    return items[0] if len(items) == 1 else items


def _project_to_gold(project: Project) -> GoldProject:
    unit = project.unit or _majority_unit([n for numbers in project.facts.values() for n in numbers])
    facts = {key: _fact_to_gold(key, numbers, unit) for key, numbers in project.facts.items() if numbers}
    return GoldProject(name=project.name, parent=project.parent, unit=unit, facts=facts)


def _indicator_to_gold(indicator: Indicator) -> GoldIndicator:
    unit = indicator.unit
    if unit is None:
        unit = next((n.unit for n in (indicator.target, indicator.actual) if n is not None and n.unit), None)
    return GoldIndicator(
        name=indicator.name,
        target=indicator.target.normalized if indicator.target else None,
        actual=indicator.actual.normalized if indicator.actual else None,
        unit=unit,
        rate=indicator.rate.normalized if indicator.rate else None,
        category=indicator.category,
    )


def _breakdown_to_gold(breakdown: Breakdown) -> GoldBreakdown:
    unit = breakdown.unit or breakdown.total.amount.unit

    def item(entry: BreakdownItem) -> GoldBreakdownItem:
        own = entry.amount.unit if entry.amount.unit not in (None, unit) else None
        return GoldBreakdownItem(label=entry.label, value=entry.amount.normalized, unit=own)

    return GoldBreakdown(
        unit=unit, total=item(breakdown.total), parts=[item(part) for part in breakdown.parts]
    )


def _ratio_to_gold(ratio: StatedRatio) -> GoldRatio:
    def operand(number: StatedNumber) -> GoldFactItem:
        if number.unit is None:
            return number.normalized
        return GoldAmount(value=number.normalized, unit=number.unit)

    return GoldRatio(
        label=ratio.label,
        value=ratio.value.normalized,
        unit=PERCENT if ratio.scale == 100 else ratio.value.unit,
        numerator=operand(ratio.numerator),
        denominator=operand(ratio.denominator),
    )


def _flag_to_gold(flag: Flag) -> GoldInconsistency:
    """A flag as a gold inconsistency; values that are not plain numbers are left out."""
    values = [value for value in flag.values if _NUMBER_RE.fullmatch(value)]
    return GoldInconsistency(rule=flag.rule, subject=flag.subject, values=values, note=flag.message)


def _loadable_projects(projects: list[GoldProject]) -> list[GoldProject]:
    """Make a draft pass `load_gold`: repeated names get ` [2]`, ` [3]`…; dangling parents are dropped."""
    seen: Counter[str] = Counter()
    renamed: list[GoldProject] = []
    for project in projects:
        seen[project.name] += 1
        if seen[project.name] > 1:
            project = project.model_copy(update={"name": f"{project.name} [{seen[project.name]}]"})
        renamed.append(project)
    names = {project.name for project in renamed}
    return [
        project
        if project.parent is None or project.parent in names
        else project.model_copy(update={"parent": None})
        for project in renamed
    ]


def extraction_to_gold(
    extraction: DocumentExtraction, draft: bool = True, flags: Sequence[Flag] = ()
) -> GoldDocument:
    """A gold document pre-filled from an extraction (and optionally the checker's flags).

    Marked `draft` by default: a human must check every entry before it counts
    as gold. Names are kept as extracted, except that a repeated name gets a
    ` [2]` suffix and a parent naming no extracted project is dropped, so the
    draft always passes `load_gold`.
    """
    return GoldDocument(
        format="recon-gold/1",
        document=extraction.document,
        organization=extraction.organization,
        fiscal_year=extraction.fiscal_year,
        draft=draft,
        projects=_loadable_projects([_project_to_gold(project) for project in extraction.projects]),
        indicators=[_indicator_to_gold(indicator) for indicator in extraction.indicators],
        breakdowns=[_breakdown_to_gold(breakdown) for breakdown in extraction.breakdowns],
        inconsistencies=[_flag_to_gold(flag) for flag in flags],
        ratios=[_ratio_to_gold(ratio) for ratio in extraction.ratios],
    )
