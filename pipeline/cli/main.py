"""The `recon` command line: thin typer commands over the library.

Each command resolves `Settings` once, calls one library function that returns
schema objects, and prints them. Errors become messages and exit codes in one place,
`pipeline.cli.exits`, with the codes of `pipeline.errors.ExitCode`:

    0  all good
    1  some files failed (each named on stderr as "<file>: <reason>"), or another error
    2  usage or configuration error (typer's default for bad usage; a path that does not
       exist, or nothing to read under the paths given; the model server refused the key,
       URL or model), malformed gold file
    3  open flags at or above --fail-on (default: error) that nobody has decided on, on the
       documents of the run (processed or unchanged), whichever run first raised them
    4  the store is unavailable: another run holds the lock, or the database is unusable

The other command groups (eval, review, model, serve) are added with their modules' `register(app)`.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pipeline.cli import eval as cli_eval
from pipeline.cli import model as cli_model
from pipeline.cli import review as cli_review
from pipeline.cli import serve as cli_serve
from pipeline.cli.exits import code_for, errors_at_the_edge
from pipeline.cli.options import (
    DbOption,
    LangOption,
    lang_flag,
    set_lang_flag,
    version_callback,
)
from pipeline.errors import ExitCode, ModelRefusedError, StoreError
from pipeline.i18n import text
from pipeline.safe_text import SafeLogFormatter, quiet_third_party_loggers, visible
from pipeline.settings import (
    Backend,
    InstructorModeName,
    Lang,
    Settings,
    help_default,
    load_settings,
    redact_argv,
)
from pipeline.store import Store
from schemas import Coverage, DocumentResult, DocumentStatus, DocumentSummary, RunSummary, Severity
from schemas.stored import RunRecord

if TYPE_CHECKING:
    from pipeline.run import FailOn

app = typer.Typer(
    name="recon",
    help="Extract and reconcile the numbers of budget performance self-evaluation reports "
    "(预算绩效自评报告).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

logger = logging.getLogger("recon")



@app.callback()
def main(
    ctx: typer.Context,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Print recon's version and exit."
        ),
    ] = False,
    lang: LangOption = None,
) -> None:
    """Extract and reconcile the numbers of budget performance self-evaluation reports (预算绩效自评报告)."""
    set_lang_flag(lang)
    ctx.call_on_close(lambda: set_lang_flag(None))  # not carried into a later invocation in-process


def open_store(settings: Settings) -> Store:
    """The store at `settings.db_path` (shared with the review/eval/report commands)."""
    return Store(settings.db_path)


def setup_logging(settings: Settings | None = None) -> None:
    """recon's log lines on stderr, with keys masked and control characters made visible;
    third-party client loggers held back (instructor's own error lines repeat the provider's
    response body, which may echo the key: recon logs one line per failed chunk instead)."""
    secrets = [settings.api_key.get_secret_value()] if settings is not None and settings.api_key else []
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeLogFormatter("recon: %(levelname)s: %(message)s", secrets))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    quiet_third_party_loggers()
    logging.getLogger("instructor").setLevel(logging.CRITICAL)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While a run goes on, SIGTERM (systemd stop, `kill`) ends it as Ctrl-C does: the run is
    marked aborted, the lock released, and recon exits 143."""

    def _terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (an embedding application): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _table(summary: RunSummary, lang: Lang) -> Table:
    llm = summary.backend != "rules"
    table = Table(title=text("run.title", lang, id=summary.run_id), title_justify="left")
    table.add_column(text("col.document", lang), no_wrap=True, overflow="ellipsis", max_width=60)
    for name in ("projects", "indicators", "breakdowns", "flags", "coverage"):
        table.add_column(text(f"col.{name}", lang), justify="right")
    table.add_column(text("col.status", lang))
    if llm:
        for name in ("calls", "tokens", "cache_hits", "ungrounded"):
            table.add_column(text(f"col.{name}", lang), justify="right")
    for result in summary.documents:
        cells: list[str | Text] = [
            Text(visible(result.document, keep_newlines=False)),
            *("-" if count is None else str(count)
              for count in (result.projects, result.indicators, result.breakdowns, result.flags)),
            coverage_text(result.coverage),
            _status_cell(result, lang),
        ]
        if llm:
            usage = result.accounting
            cells += [
                str(usage.calls),
                str(usage.prompt_tokens + usage.completion_tokens),
                str(usage.cache_hits),
                str(result.ungrounded if result.ungrounded is not None else usage.ungrounded),
            ]
        table.add_row(*cells)
    return table


#: Under this share of its money amounts placed, a document's layout was probably not understood.
LOW_COVERAGE = 0.6


def coverage_text(coverage: Coverage | None) -> str:
    """`83%`, or `-` for a document with no money amounts (or no coverage measured)."""
    ratio = coverage.ratio if coverage is not None else None
    return "-" if ratio is None else f"{ratio:.0%}"


def low_coverage_lines(summary: RunSummary, lang: Lang = "en") -> list[str]:
    """One warning per document whose coverage is under `LOW_COVERAGE`."""
    lines: list[str] = []
    for result in summary.documents:
        coverage = result.coverage
        ratio = coverage.ratio if coverage is not None else None
        if coverage is not None and ratio is not None and ratio < LOW_COVERAGE:
            lines.append(
                text(
                    "run.low_coverage",
                    lang,
                    document=result.document,
                    percent=f"{ratio:.0%}",
                    placed=coverage.placed,
                    total=coverage.money_amounts,
                )
            )
    return lines


def _status_cell(result: DocumentSummary, lang: Lang) -> Text:
    if result.status is DocumentStatus.FAILED:
        return Text(text("doc.failed", lang), style="red")
    if result.status is DocumentStatus.SKIPPED:
        return Text(text("doc.skipped", lang), style="dim")
    cell = Text(text("doc.ok", lang), style="green")
    for warning in result.warnings:
        cell.append(f"; {visible(warning, keep_newlines=False)}", style="yellow")
    return cell


def _backend_reason(settings: Settings, lang: Lang) -> str:
    from pipeline.run import backend_reason

    return backend_reason(settings, lang)


def summary_line(record: RunRecord, settings: Settings, lang: Lang = "en") -> str:
    """`5 documents: 5 ok, 0 failed, 0 skipped; 12 flags (3 new errors); backend rules — …`."""
    counts = record.counts
    new = text("run.new_errors", lang, count=counts.new_error)
    if counts.new_warning:
        new += ("，" if lang == "zh" else ", ") + text("run.new_warnings", lang, count=counts.new_warning)
    new += ("；" if lang == "zh" else "; ") + text("run.open_errors", lang, count=counts.open_error)
    return text(
        "run.summary",
        lang,
        documents=text("run.documents", lang, count=counts.documents),
        ok=counts.ok,
        failed=counts.failed,
        skipped=counts.skipped,
        flags=text("run.flags", lang, count=counts.flags),
        new=new,
        backend=_backend_reason(settings, lang),
    )


class _ProgressBar:
    """A rich progress bar on stderr, fed by `pipeline.run.run`'s progress callback."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]recon[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("", total=None)

    def __call__(self, done: int, total: int, result: DocumentSummary | None) -> None:
        description = (
            escape(visible(f"{result.document} {result.status.value}", keep_newlines=False))
            if result is not None
            else "discovering"
        )
        self._progress.update(self._task, completed=done, total=total, description=description)

    def __enter__(self) -> _ProgressBar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()


def command_argv(ctx: typer.Context) -> list[str]:
    """The command as invoked, rebuilt from its parsed parameters, with secrets hidden (`redact_argv`)."""
    argv = ["recon", ctx.info_name or "run"]
    for value in ctx.params.values():
        if isinstance(value, list):
            argv += [str(item) for item in value]
    for name, value in ctx.params.items():
        option = "--" + name.replace("_", "-")
        if isinstance(value, list) or value is None or value is False:
            continue
        elif value is True:
            argv.append(option)
        else:
            argv.append(f"{option}={value}")
    return redact_argv(argv)


@app.command("run")
def run_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt, .docx, .pdf, .html).")],
    backend: Annotated[
        Backend | None,
        typer.Option(
            help="auto: llm when RECON_BASE_URL+RECON_MODEL are set, local with a GGUF, else rules."
        ),
    ] = None,
    db: DbOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help=f"Folder for one <file>.json per document ({help_default('RECON_OUT')}).",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint (RECON_BASE_URL).")] = None,
    model: Annotated[str | None, typer.Option(help="Model name (RECON_MODEL).")] = None,
    api_key: Annotated[
        str | None, typer.Option(help="API key (RECON_API_KEY); never stored or printed.", show_default=False)
    ] = None,
    instructor_mode: Annotated[
        InstructorModeName | None, typer.Option(help="How structured output is requested.")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Parallel model requests.")] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Worker processes for the rules backend (default: the usable cores).",
            show_default=False,
        ),
    ] = None,
    model_path: Annotated[
        Path | None, typer.Option(help="GGUF file for --backend local (RECON_MODEL_PATH).")
    ] = None,
    llm_policy: Annotated[
        Literal["all", "uncovered"] | None,
        typer.Option(
            help="all: every chunk goes to the model; uncovered: only chunks holding money the rules "
            "left unplaced or whose facts fail the checker (RECON_LLM_POLICY)."
        ),
    ] = None,
    llm_contract: Annotated[
        Literal["ids", "copy"] | None,
        typer.Option(
            help="ids: numbers are marked ⟦n⟧ and the model answers with ids; copy: it copies numbers "
            "as written (RECON_LLM_CONTRACT)."
        ),
    ] = None,
    accept: Annotated[
        Literal["checked", "all"] | None,
        typer.Option(
            help="With --llm-policy uncovered: keep a model role the rules did not give only when the "
            "checker finds nothing new against it (checked), or always (all) (RECON_ACCEPT)."
        ),
    ] = None,
    llm_hints: Annotated[
        bool | None,
        typer.Option(
            "--llm-hints/--no-llm-hints",
            help="ids contract: show the model the roles the rules gave (RECON_LLM_HINTS).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary line.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Re-process files even when unchanged.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for another run on the same database to finish.")
    ] = False,
    fail_on: Annotated[
        Literal["error", "warning", "never"],
        typer.Option(
            help="Exit 3 while the run's documents have open flags of this severity or worse that "
            "nobody has decided on."
        ),
    ] = "error",
) -> None:
    """Process documents: extract, check, store, write <out>/<file>.json.

    Unchanged files are skipped; failed files are retried. Exit 0 all good, 1 some files
    failed, 2 usage/configuration error, 3 open undecided flags at --fail-on or worse, 4 store busy.
    """
    setup_logging()
    with errors_at_the_edge():
        settings = load_settings(
            backend=backend,
            db_path=db,
            out_dir=out,
            base_url=base_url,
            model=model,
            api_key=api_key,
            instructor_mode=instructor_mode,
            concurrency=concurrency,
            model_path=model_path,
            llm_policy=llm_policy,
            lang=lang_flag(),
            llm_contract=llm_contract,
            accept=accept,
            llm_hints=llm_hints,
        )
        setup_logging(settings)
        code = _run_and_print(
            paths, settings, command_argv(ctx), quiet=quiet, force=force, wait=wait, fail_on=fail_on,
            jobs=jobs,
        )
    raise typer.Exit(code)


def _run_and_print(
    paths: list[Path],
    settings: Settings,
    argv: list[str],
    *,
    quiet: bool,
    force: bool,
    wait: bool,
    fail_on: FailOn,
    jobs: int | None = None,
) -> int:
    from pipeline.run import exit_code, run  # the extractors load only for `recon run` (start-up)

    errors = Console(stderr=True)
    with open_store(settings) as store, sigterm_as_interrupt():
        if quiet or not errors.is_terminal:
            summary = run(paths, settings, store, force=force, wait=wait, argv=argv, jobs=jobs)
        else:
            with _ProgressBar(errors) as bar:
                summary = run(
                    paths, settings, store, progress=bar, force=force, wait=wait, argv=argv, jobs=jobs
                )
        if summary.run_id is None:  # pragma: no cover - run always records itself
            raise StoreError("the run was not recorded")
        record = store.get_run(summary.run_id)
    not_sent = set(summary.not_sent)
    for failed in summary.failed:
        if failed.document not in not_sent:
            typer.echo(visible(f"failed: {failed.error}", keep_newlines=False), err=True)
    if not_sent:  # one line, not one per document: the reason is the refusal printed above
        typer.echo(text("run.not_sent", settings.lang, count=len(not_sent)), err=True)
    for result in summary.documents:
        if result.status is DocumentStatus.OK:
            for warning in result.warnings:
                typer.echo(visible(f"warning: {result.document}: {warning}", keep_newlines=False), err=True)
    for line in low_coverage_lines(summary, settings.lang):
        typer.echo(visible(line, keep_newlines=False), err=True)
    if not quiet:
        console = Console()
        if not console.is_terminal:  # cron mail, pipes: no 80-column folding of file names
            console = Console(width=200)
        console.print(_table(summary, settings.lang))
    typer.echo(visible(summary_line(record, settings, settings.lang)))
    code = exit_code(record.counts, fail_on)
    if summary.model_refused is not None:  # a wrong key, URL or model: a configuration error, whatever else
        code = code_for(ModelRefusedError(summary.model_refused))
    if code is ExitCode.OPEN_FLAGS and not quiet:
        typer.echo(open_flags_line(record, fail_on, settings.lang))
    return code


def open_flags_line(record: RunRecord, fail_on: FailOn, lang: Lang = "en") -> str:
    """Why a run that went well exits 3: `21 flags to review — exit 3 means open flags …`."""
    flags = text("run.flags", lang, count=record.counts.open_at_or_above(Severity(fail_on)))
    return text("run.to_review", lang, flags=flags, fail_on=fail_on)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the per-document result that `recon run --out` writes."""
    typer.echo(json.dumps(DocumentResult.model_json_schema(), indent=2, ensure_ascii=False))


def _register_commands(main: typer.Typer) -> None:
    """Add the eval, review/flags/show/export/report and model command groups."""
    cli_eval.register(main)
    cli_review.register(main)
    cli_model.register(main)
    cli_serve.register(main)


_register_commands(app)


if __name__ == "__main__":
    app()
