"""`recon eval` and `recon gold draft`: score recon against gold files, pre-fill new gold.

Thin commands: the scoring lives in `pipeline.evaluation.evaluate`, the gold format in
`pipeline.evaluation.gold`; this module parses options, prints rich tables and turns
errors into exit codes like `recon run`: 1 when a figure is below its
`--floor` (or another recon error), 2 for a usage or gold-file problem, 4 when
the store cannot be read (`--run`).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.exits import errors_at_the_edge
from pipeline.cli.options import DbOption, current_lang
from pipeline.errors import ConfigError, ExitCode, ReconError
from pipeline.evaluation.evaluate import (
    METRICS,
    Comparison,
    EvalReport,
    Observed,
    Score,
    Scores,
    compare_reports,
    evaluate_pairs,
    floor_failures,
    metric,
    pair_gold_with_documents,
)
from pipeline.evaluation.gold import dump_gold, extraction_to_gold
from pipeline.i18n import Lang, phrase, text
from pipeline.safe_text import visible
from pipeline.settings import Settings, load_settings
from schemas import CheckReport, DocumentExtraction, DocumentResult

EvalBackend = Literal["rules", "llm", "auto"]


def _width() -> int | None:
    """Terminal width on a terminal; 120 columns (or $COLUMNS) when piped, so tables do not fold."""
    if sys.stdout.isatty():
        return None
    return int(os.environ.get("COLUMNS", "120")) if os.environ.get("COLUMNS", "").isdigit() else 120


console = Console(width=_width())
error_console = Console(stderr=True)


# --- tables --------------------------------------------------------------------------------------


def _figure(value: float | None) -> str:
    return text("eval.na", current_lang()) if value is None else f"{value:.3f}"


def _short(document: str) -> str:
    """Column header for a document: the part before the first `_` when that is a number (`004`)."""
    head = document.split("_", 1)[0]
    return head if head.isdigit() and "_" in document else document


#: Rows of the main table: dotted paths into a dumped `Scores` (section, then measure).
_PATHS: tuple[str, ...] = tuple(
    f"{section}.{measure}"
    for section, measures in (
        ("projects", ("precision", "recall", "f1")),
        ("parents", ("accuracy",)),
        ("indicators", ("precision", "recall", "f1")),
        ("breakdowns", ("precision", "recall", "f1")),
        ("flags", ("precision", "recall", "f1")),
        ("grounding", ("exact",)),
        ("check_gold", ("precision", "recall", "f1")),
    )
    for measure in measures
)


def _label(path: str, lang: Lang) -> str:
    """A row's label in `lang`: `projects P`, `项目 精确率`; grounding is its section's name."""
    section, measure = path.split(".", 1)
    name = text(f"eval.section.{section}", lang)
    if measure == "exact":
        return name
    return text("eval.row", lang, section=name, measure=text(f"eval.measure.{measure}", lang))


#: Columns of the per-document table used when there are too many documents for one column each.
_WIDE_AFTER = 6


def _counts(scores: Scores, path: str) -> str:
    """`correct/extracted/gold` (or `correct/total`) behind an F1, accuracy or grounding figure."""
    section = path.split(".", 1)[0]
    if not path.endswith((".f1", ".accuracy", ".exact")):
        return ""
    value: Any = getattr(scores, section)
    if isinstance(value, Score):
        return f"{value.correct}/{value.extracted}/{value.gold}"
    if section == "parents":
        return f"{scores.parents.correct}/{scores.parents.total}"
    if section == "grounding":
        return f"{scores.grounding.grounded}/{scores.grounding.checked}"
    return ""


def _rows(report: EvalReport) -> list[tuple[str, str]]:
    lang = current_lang()
    return [
        (_label(path, lang), path)
        for path in _PATHS
        if not (path.startswith("check_gold") and report.overall.check_gold is None)
    ]


def scores_table(report: EvalReport) -> Table:
    """Rows: the figures; columns: each document (when few), overall, and the overall counts."""
    documents = list(report.documents) if len(report.documents) <= _WIDE_AFTER else []
    lang = current_lang()
    table = Table(
        title=text("eval.title", lang), title_justify="left", caption=text("eval.caption", lang)
    )
    table.add_column(text("eval.figure", lang), no_wrap=True)
    for document in documents:
        table.add_column(_short(document), justify="right", no_wrap=True)
    table.add_column(text("eval.overall", lang), justify="right", style="bold", no_wrap=True)
    table.add_column(text("eval.counts", lang), justify="right", style="dim", no_wrap=True)
    dumped = {name: scores.model_dump(mode="json") for name, scores in report.documents.items()}
    overall = report.overall.model_dump(mode="json")
    for label, path in _rows(report):
        cells = [_figure(metric(dumped[document], path)) for document in documents]
        table.add_row(label, *cells, _figure(metric(overall, path)), _counts(report.overall, path))
    return table


def documents_table(report: EvalReport) -> Table:
    """One row per document with its F1/accuracy figures (for runs over many documents)."""
    lang = current_lang()
    paths = [(label, path) for label, path in _rows(report) if path.endswith((".f1", ".accuracy", ".exact"))]
    table = Table(title=text("eval.per_document", lang), title_justify="left")
    table.add_column(text("col.document", lang), no_wrap=True)
    for _, path in paths:
        table.add_column(text(f"eval.section.{path.split('.', 1)[0]}", lang), justify="right", no_wrap=True)
    for name, scores in report.documents.items():
        dumped = scores.model_dump(mode="json")
        table.add_row(name, *(_figure(metric(dumped, path)) for _, path in paths))
    return table


def breakdown_table(title: str, score: Score) -> Table:
    """Per-key (fact key, indicator field, flag rule) figures of one section, overall."""
    lang = current_lang()
    table = Table(title=title, title_justify="left")
    table.add_column(text("eval.key", lang), justify="left")
    for measure in ("precision", "recall", "f1"):
        table.add_column(text(f"eval.measure.{measure}", lang), justify="right")
    for column in ("eval.correct", "eval.extracted", "eval.gold"):
        table.add_column(text(column, lang), justify="right")
    for key, part in score.per_key.items():
        table.add_row(
            key,
            _figure(part.precision),
            _figure(part.recall),
            _figure(part.f1),
            str(part.correct),
            str(part.extracted),
            str(part.gold),
        )
    return table


def print_report(report: EvalReport, show_errors: int) -> None:
    if len(report.documents) > _WIDE_AFTER:
        console.print(documents_table(report))
    console.print(scores_table(report))
    lang = current_lang()
    console.print(breakdown_table(text("eval.by_fact", lang), report.overall.projects))
    console.print(breakdown_table(text("eval.by_rule", lang), report.overall.flags))
    if report.overall.check_gold is not None:
        console.print(breakdown_table(text("eval.check_gold_by_rule", lang), report.overall.check_gold))
    kinds = Counter(error.kind for error in report.errors)
    listed = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())) or text("eval.errors_none", lang)
    console.print(text("eval.errors", lang, list=listed), markup=False, highlight=False)
    for error in report.errors[:show_errors]:
        console.print(
            visible(
                f"  {error.kind:<13} {error.document} {error.section}: {error.what}"
                f"  gold={error.gold!r} got={error.got!r}"
            ),
            markup=False,
            highlight=False,
        )


def print_comparison(comparison: Comparison, show_errors: int) -> None:
    lang = current_lang()
    table = Table(title=text("eval.against", lang), title_justify="left")
    table.add_column(text("eval.figure", lang), justify="left")
    for column in (text("eval.old", lang), text("eval.new", lang), ""):
        table.add_column(column, justify="right")
    for change in comparison.metrics:
        style = {"▲": "green", "▼": "red"}.get(change.marker, "")
        table.add_row(change.metric, _figure(change.old), _figure(change.new), change.marker, style=style)
    console.print(table)
    new, fixed = comparison.new_errors, comparison.fixed_errors
    console.print(text("eval.new_fixed", lang, new=len(new), fixed=len(fixed)))
    for label, errors in ((text("eval.label_new", lang), new), (text("eval.label_fixed", lang), fixed)):
        for error in errors[:show_errors]:
            console.print(
                visible(
                    f"  {label:<5} {error.kind:<13} {error.document} {error.section}: {error.what}"
                    f"  gold={error.gold!r} got={error.got!r}"
                ),
                markup=False,
                highlight=False,
            )


# --- stored runs ---------------------------------------------------------------------------------


def observe_with_pipeline(settings: Settings) -> Callable[[Path], Observed]:
    """An `observe` that runs ingest → … → check on the file now (`pipeline.run.process_path`)."""
    from pipeline.ingest.read import ingest
    from pipeline.run import process_path

    def observe(path: Path) -> Observed:
        try:
            original: str | None = ingest(path, settings.max_file_bytes).original_text
        except ReconError:
            original = None
        try:
            result = process_path(path, settings)
        except ConfigError:
            raise  # e.g. --backend llm without a model: the user fixes it, no document is to blame
        except ReconError as exc:
            return Observed(None, None, original, failure=str(exc))
        return Observed(result.extraction, result.check, original, failure=result.error)

    return observe


def observe_stored_run(settings: Settings, run_id: int) -> Callable[[Path], Observed]:
    """An `observe` that reads the `DocumentResult`s stored by run `run_id` instead of running now.

    A document the run did not process (skipped as unchanged) is scored from
    its last successful result stored before that run. The original text for
    grounding is read with `ingest` from the file. Reads the store's `results`
    table (read-only).
    """
    from pipeline.ingest.read import ingest
    from pipeline.store import Store

    by_path: dict[str, DocumentResult] = {}
    with Store(settings.db_path) as store:
        store.get_run(run_id)  # StoreError when there is no such run
        for result in store.results_as_of(run_id):
            by_path[result.path] = result

    def observe(path: Path) -> Observed:
        try:
            original: str | None = ingest(path, settings.max_file_bytes).original_text
        except ReconError:
            original = None
        result = by_path.get(str(path.resolve()))
        if result is None:
            failure = text("eval.no_result", current_lang(), path=path, run=run_id)
            return Observed(None, None, original, failure=failure)
        return Observed(result.extraction, result.check, original, failure=result.error)

    return observe


def _checker() -> Callable[[DocumentExtraction], CheckReport]:
    from pipeline.check.run import check

    return check


# --- commands ------------------------------------------------------------------------------------


def eval_command(
    docs: Annotated[
        Path, typer.Option("--docs", help="Folder of the source documents (.txt/.docx/.pdf/.html).")
    ],
    gold: Annotated[Path, typer.Option("--gold", help="Folder of *.gold.json files.")] = Path("eval/gold"),
    backend: Annotated[
        EvalBackend | None,
        typer.Option("--backend", help="Extraction backend (default: RECON_BACKEND or auto)."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the figures and errors as JSON.")
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option("--compare", help="An earlier --json file: show old → new and new/fixed errors."),
    ] = None,
    allow_draft: Annotated[
        bool, typer.Option("--allow-draft", help="Score against draft gold files too.")
    ] = False,
    check_gold: Annotated[
        bool, typer.Option("--check-gold", help="Also run the checker on the gold facts and score its flags.")
    ] = False,
    run_id: Annotated[
        int | None, typer.Option("--run", help="Score a stored run from the database instead of running now.")
    ] = None,
    db: DbOption = None,
    floor: Annotated[
        Path | None, typer.Option("--floor", help="JSON of minimum figures; exit 1 when any is below.")
    ] = None,
    show_errors: Annotated[int, typer.Option("--show-errors", help="Print the first N differences.")] = 0,
) -> None:
    """Score extraction, parent links, indicators, breakdowns, flags and grounding against gold files."""
    with errors_at_the_edge():
        settings = load_settings(backend=backend, db_path=db)
        floors = _read_json(floor, "--floor") if floor else None
        earlier = _read_json(compare, "--compare") if compare else None
        pairs = pair_gold_with_documents(gold, docs, allow_draft=allow_draft)
        if run_id is not None:
            observe = observe_stored_run(settings, run_id)
            source = f"run {run_id}"
        else:
            observe = observe_with_pipeline(settings)
            source = settings.resolved_backend()
        meta = {"gold": str(gold), "docs": str(docs), "source": source}
        report = evaluate_pairs(pairs, observe, _checker(), check_gold=check_gold, meta=meta)
        print_report(report, show_errors)
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
        if earlier is not None:
            print_comparison(compare_reports(earlier, report), show_errors)
        if floors is not None:
            failures = floor_failures(report, floors)
            if failures:
                lang = current_lang()
                lines = [failure.render(lang) for failure in failures]
                below = text("eval.below_floor", lang) + "\n  " + "\n  ".join(lines)
                error_console.print(below, markup=False, highlight=False)
                raise typer.Exit(ExitCode.FAILURE)


def _read_json(path: Path, option: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(phrase("config.bad_json", option=option, path=path, detail=exc)) from exc
    if not isinstance(data, dict):
        raise ConfigError(phrase("config.not_an_object", option=option, path=path))
    return data


def gold_draft_command(
    document: Annotated[Path, typer.Argument(help="The source document to pre-fill a gold file for.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write (default: <stem>.gold.json next to it).")
    ] = None,
    backend: Annotated[EvalBackend | None, typer.Option("--backend", help="Extraction backend.")] = None,
) -> None:
    """Write a draft gold file ("draft": true) from the current extraction, to be checked by hand."""
    from pipeline.run import process_path

    with errors_at_the_edge():
        settings = load_settings(backend=backend)
        result = process_path(document, settings)
        if result.extraction is None:
            raise ConfigError(phrase("config.cannot_draft", document=document, reason=result.error))
        flags = result.check.flags if result.check else []
        gold = extraction_to_gold(result.extraction, draft=True, flags=flags)
        target = out or document.with_name(f"{document.stem}.gold.json")
        if target.exists():
            raise ConfigError(phrase("config.gold_exists", path=target))
        target.write_text(dump_gold(gold), encoding="utf-8")
        console.print(
            text(
                "eval.gold_written", current_lang(), path=target, projects=len(gold.projects),
                indicators=len(gold.indicators), breakdowns=len(gold.breakdowns),
                inconsistencies=len(gold.inconsistencies),
            ),
            markup=False,
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add `eval` and the `gold` group (`gold draft`) to the recon app."""
    app.command("eval")(eval_command)
    gold_app = typer.Typer(help="Gold files (recon-gold/1): pre-fill drafts.", no_args_is_help=True)
    gold_app.command("draft")(gold_draft_command)
    app.add_typer(gold_app, name="gold")


__all__ = ["METRICS", "register"]
