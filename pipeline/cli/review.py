"""The reviewer's commands: `flags`, `show`, `review`, `export`, `report`.

`pipeline.cli.main` calls `register(app)`. Each command is thin: it resolves the
settings, opens the store, calls one function of `pipeline.review.review`,
`pipeline.review.export` or `pipeline.review.report`, and prints; errors become a message and
an exit code through `pipeline.cli.exits`.

Document text and file names are printed as rich `Text` objects, never as markup,
so brackets in a report cannot restyle (or hide) anything, and through
`pipeline.safe_text.visible`, so an escape sequence in them is shown, not obeyed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.cli.exits import exit_for, failure
from pipeline.cli.options import HOME_HELP, DbOption, DocumentOption, current_lang, resolve_document
from pipeline.errors import ConfigError, ExitCode, ReconError
from pipeline.i18n import rule_name, severity_name, status_name, text
from pipeline.review.export import ExportFormat, ExportWhat, default_export_path, export
from pipeline.review.flagtext import details_text, flag_message, format_number, skipped_reason
from pipeline.review.report import default_report_path, write_report
from pipeline.review.review import (
    CONTEXT_CHARS,
    FlagFilter,
    FlagView,
    Passage,
    flag_as_dict,
    record_decision,
    relevant_skipped,
    show_flag,
)
from pipeline.safe_text import json_visible, visible
from pipeline.settings import Lang, Settings, help_default, load_settings
from pipeline.store import Store
from schemas.flags import Rule, Severity
from schemas.stored import FlagStatus, StoredFlag

#: Style of a number inside a source passage.
NUMBER_STYLE = "bold black on yellow"
_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_STATUS_STYLE = {FlagStatus.OPEN: "bold", FlagStatus.CONFIRMED: "red", FlagStatus.DISMISSED: "green"}

StatusOption = Annotated[FlagStatus | None, typer.Option("--status", help="only flags with this status")]
RuleOption = Annotated[Rule | None, typer.Option("--rule", help="only flags of this rule")]
SeverityOption = Annotated[Severity | None, typer.Option("--severity", help="only flags of this severity")]
RunOption = Annotated[
    int | None,
    typer.Option("--run", help="only flags this run raised (new or again) / facts it extracted"),
]


def _line(text: str, style: str = "") -> Text:
    """One line of untrusted text (file names, report text) as rich Text with controls made visible."""
    return Text(visible(text, keep_newlines=False), style=style)


def _settings(db: Path | None = None) -> Settings:
    try:
        return load_settings(db_path=db)
    except ConfigError as exc:
        raise exit_for(exc) from exc


@contextmanager
def _open_store(db: Path | None, *, read_only: bool = True) -> Iterator[Store]:
    """The store of `--db` (or the settings' default); a missing database is an error, not created.
    Opened read-only unless the command writes (only `review` does), so a database in a
    read-only folder can still be listed, shown, exported and reported."""
    db_path = _settings(db).db_path
    if not db_path.exists():
        raise failure(text("db.missing", current_lang(), path=db_path), ExitCode.STORE)
    try:
        with Store(db_path, read_only=read_only) as store:
            yield store
    except ReconError as exc:
        raise exit_for(exc) from exc


def _flags_table(flags: list[StoredFlag], lang: Lang) -> Table:
    table = Table(title=text("flags.title", lang, count=len(flags)), title_justify="left")
    table.add_column(text("col.id", lang), justify="right", no_wrap=True)
    for key in ("col.severity", "col.status", "col.rule", "col.document"):
        table.add_column(text(key, lang), no_wrap=True)
    table.add_column(text("col.subject", lang), overflow="fold")
    table.add_column(text("col.arithmetic", lang), overflow="fold")
    for flag in flags:
        table.add_row(
            str(flag.id),
            Text(severity_name(flag.severity, lang), style=_SEVERITY_STYLE[flag.severity]),
            Text(status_name(flag.status, lang), style=_STATUS_STYLE[flag.status]),
            rule_name(flag.rule, lang),
            _line(flag.document),
            _line(flag.subject),
            _line(flag.equation),
        )
    return table


def passage_text(passage: Passage) -> Text:
    """A source passage with its numbers styled `NUMBER_STYLE` (and `…` where the text goes on)."""
    text = Text("…")
    position = 0
    for start, end in sorted(passage.highlights):
        start = max(start, position)
        text.append(visible(passage.text[position:start], keep_newlines=False))
        text.append(visible(passage.text[start:end], keep_newlines=False), style=NUMBER_STYLE)
        position = max(position, end)
    text.append(visible(passage.text[position:], keep_newlines=False))
    text.append("…")
    return text


def source_problem_text(view: FlagView, lang: Lang) -> str | None:
    """Why the flag's source passages cannot be shown, in `lang` (None when they can)."""
    return view.source_problem_in(lang)


def view_message(view: FlagView, lang: Lang) -> str:
    """The flag's message in `lang` (from its structured fields; the stored message for old rows)."""
    if view.detail is None:
        return view.flag.message
    return flag_message(view.detail, lang, subject=view.subject or None)


def render_view(view: FlagView, lang: Lang = "zh") -> list[Text]:
    """The lines `recon show` prints for one flag, in `lang`."""
    flag = view.flag
    lines: list[Text] = []
    head = Text(text("show.head", lang, id=flag.id) + "  ", style="bold")
    head.append(severity_name(flag.severity, lang).upper(), style=_SEVERITY_STYLE[flag.severity])
    head.append(f"  {rule_name(flag.rule, lang)}  ")
    head.append(status_name(flag.status, lang), style=_STATUS_STYLE[flag.status])
    lines.append(head)
    lines.append(_line(text("show.document", lang, name=flag.document, path=flag.path)))
    coverage = view.coverage
    if coverage is not None and coverage.ratio is not None:
        lines.append(
            Text(
                text(
                    "show.coverage", lang, percent=f"{coverage.ratio:.0%}", placed=coverage.placed,
                    total=coverage.money_amounts,
                )
            )
        )
    lines.append(_line(text("show.subject", lang, subject=view.subject or flag.subject)))
    lines.append(_line(view_message(view, lang)))
    lines.append(_line("  " + flag.equation, style="bold"))
    detail = view.detail
    if detail is not None:
        facts = []
        if detail.difference is not None:
            facts.append(text("show.difference", lang, value=format_number(detail.difference, strip=True)))
        if detail.tolerance is not None:
            facts.append(text("show.tolerance", lang, value=format_number(detail.tolerance, strip=True)))
        if detail.unit:
            facts.append(text("show.unit", lang, value=detail.unit))
        if detail.match_mode is not None:
            facts.append(text("show.match", lang, value=detail.match_mode.value))
        if facts:
            lines.append(Text("  " + ("，" if lang == "zh" else ", ").join(facts), style="dim"))
        if detail.details:
            lines.append(_line("  " + details_text(detail, lang), style="dim"))
    for correction in view.corrections:
        outcome = text(f"reread.{correction.outcome}", lang)
        lines.append(_line(text("show.reread", lang, outcome=outcome, note=correction.note)))
        before, after = "、".join(correction.before) or "-", "、".join(correction.after) or "-"
        lines.append(_line("  " + text("show.reread_numbers", lang, before=before, after=after), style="dim"))
    lines.append(Text(""))
    problem = source_problem_text(view, lang)
    if problem is not None:
        lines.append(_line(problem, style="bold red"))
        if view.stored:
            lines.append(Text(text("show.stored", lang), style="dim"))
            lines.extend(
                _line("  " + text("show.stored_number", lang, subject=n.subject, key=n.key, text=n.text))
                for n in view.stored
            )
    elif not view.passages:
        lines.append(Text(text("show.no_place", lang), style="dim"))
    for passage in view.passages:
        lines.append(Text(text("show.passage", lang, start=passage.start, end=passage.end), style="dim"))
        lines.append(passage_text(passage))
    skipped = relevant_skipped(view)
    if skipped:
        lines.append(Text(""))
        lines.append(Text(text("show.skipped", lang), style="dim"))
        lines.extend(
            _line(f"  {rule_name(s.rule, lang)} · {s.subject}: {skipped_reason(s, lang)}") for s in skipped
        )
    if view.notes:
        lines.append(Text(""))
        lines.append(Text(text("show.model_notes", lang), style="dim"))
        for note in view.notes:
            said = f"  {note.kind} · {note.number}: model says {note.model_role}"
            said += f", rules say {note.rules_role}" if note.rules_role else ""
            lines.append(_line(said + (f" ({note.reason})" if note.reason else "")))
    lines.append(Text(""))
    if flag.decision is not None:
        decision = flag.decision
        line = text(
            "show.decision", lang, status=status_name(decision.status, lang), by=decision.by or "?",
            at=decision.at,
        )
        lines.append(_line(line + (f": {decision.note}" if decision.note else "")))
    else:
        lines.append(Text(text("show.decide_hint", lang, id=flag.id), style="dim"))
    return lines


def flags_command(
    status: StatusOption = None,
    rule: RuleOption = None,
    severity: SeverityOption = None,
    document: DocumentOption = None,
    run: RunOption = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON list instead of a table")] = False,
) -> None:
    """List flags, newest first."""
    with _open_store(db) as store:
        name = resolve_document(store, document)
        flag_filter = FlagFilter(status=status, rule=rule, severity=severity, document=name, run_id=run)
        flags = store.flags(flag_filter)
    if as_json:
        typer.echo(json_visible(json.dumps([flag_as_dict(f) for f in flags], ensure_ascii=False, indent=2)))
        return
    Console().print(_flags_table(flags, current_lang()))


def show_command(
    flag_id: Annotated[int, typer.Argument(help="flag id (from `recon flags`)")],
    context: Annotated[int, typer.Option("--context", help="characters shown around each number")] = (
        CONTEXT_CHARS
    ),
    db: DbOption = None,
) -> None:
    """Show a flag: its arithmetic and the source text around every number involved."""
    with _open_store(db) as store:
        view = show_flag(store, flag_id, radius=context)
    console = Console()
    for line in render_view(view, current_lang()):
        console.print(line, soft_wrap=True)  # long source lines wrap in the terminal, not in the text


def review_command(
    flag_id: Annotated[int, typer.Argument(help="flag id (from `recon flags`)")],
    confirm: Annotated[bool, typer.Option("--confirm", help="the flag is a real inconsistency")] = False,
    dismiss: Annotated[bool, typer.Option("--dismiss", help="the flag is a false alarm")] = False,
    reopen: Annotated[bool, typer.Option("--reopen", help="undo a decision")] = False,
    note: Annotated[str | None, typer.Option("--note", help="why")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help=f"reviewer ({help_default('RECON_REVIEWER')})")
    ] = None,
    db: DbOption = None,
) -> None:
    """Record a decision on a flag; it holds for later runs while the numbers stay the same."""
    chosen = [s for s, on in ((FlagStatus.CONFIRMED, confirm), (FlagStatus.DISMISSED, dismiss),
                              (FlagStatus.OPEN, reopen)) if on]
    if len(chosen) != 1:
        raise failure(text("review.one_of", current_lang()), ExitCode.USAGE)
    with _open_store(db, read_only=False) as store:
        flag = record_decision(store, flag_id, chosen[0], by=by, note=note)
    decision = flag.decision
    who = decision.by if decision is not None else "?"
    when = decision.at if decision is not None else "?"
    lang = current_lang()
    done = text("review.done", lang, id=flag.id, status=status_name(flag.status, lang), by=who, at=when)
    Console().print(_line(done))


def export_command(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="file format")] = ExportFormat.CSV,
    what: Annotated[ExportWhat, typer.Option("--what", help="facts, flags or both")] = ExportWhat.BOTH,
    out: Annotated[
        Path | None,
        typer.Option("--out", help=f"output file (default: recon-<what>.<format> in {HOME_HELP})"),
    ] = None,
    status: StatusOption = None,
    rule: RuleOption = None,
    severity: SeverityOption = None,
    document: DocumentOption = None,
    run: RunOption = None,
    db: DbOption = None,
) -> None:
    """Export facts and/or flags as CSV (UTF-8 with BOM), XLSX (a sheet per kind) or JSON."""
    target = out or default_export_path(_settings().home, fmt, what)
    with _open_store(db) as store:
        name = resolve_document(store, document)
        flag_filter = FlagFilter(status=status, rule=rule, severity=severity, document=name, run_id=run)
        written = export(store, fmt, what, target, flag_filter)
    for path in written:
        typer.echo(visible(text("report.wrote", current_lang(), path=path)))


def report_command(
    run: Annotated[int | None, typer.Option("--run", help="run id (default: the latest run)")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help=f"HTML file (default: report-run-<id>.html in {HOME_HELP})")
    ] = None,
    db: DbOption = None,
) -> None:
    """Write one self-contained HTML report of a run (summary, flags in context, tables, source)."""
    with _open_store(db) as store:
        run_id = run if run is not None else store.latest_run_id()
        target = out or default_report_path(_settings().home, run_id)
        written = write_report(store, target, run_id, lang=current_lang())
    typer.echo(visible(text("report.wrote", current_lang(), path=written)))


def register(app: typer.Typer) -> None:
    """Add the review commands to recon's typer app."""
    app.command("flags")(flags_command)
    app.command("show")(show_command)
    app.command("review")(review_command)
    app.command("export")(export_command)
    app.command("report")(report_command)
