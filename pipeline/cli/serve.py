"""`recon runs` (the runs table) and `recon serve` (the review pages in a browser).

FastAPI, uvicorn and the app are imported inside `serve_command`, so the start-up
of every other command does not pay for them.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.exits import exit_for, failure
from pipeline.cli.options import DbOption, current_lang, lang_flag
from pipeline.cli.review import _open_store, _settings
from pipeline.errors import ExitCode, ReconError
from pipeline.i18n import text
from pipeline.review.runs import duration_text, list_runs
from pipeline.settings import Lang

#: Hosts that only this machine can reach.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def runs_table(db: DbOption, lang: Lang) -> Table | None:
    """The runs of the store, newest first, as a rich table (None when there are none)."""
    with _open_store(db) as store:
        runs = list_runs(store)
    if not runs:
        return None
    table = Table(title=text("runs.title", lang, count=len(runs)), title_justify="left")
    for key in ("col.id", "col.started", "col.status", "col.backend", "col.model", "col.prompt"):
        table.add_column(text(key, lang), no_wrap=key != "col.model")
    for key in ("col.documents", "col.flags", "col.new_flags", "col.facts", "col.cost", "col.duration"):
        table.add_column(text(key, lang), justify="right")
    for run in runs:
        record = run.record
        table.add_row(
            str(record.id),
            record.started,
            text(f"run_status.{record.status.value}", lang),
            record.backend,
            record.model or "–",
            record.prompt_version or "–",
            str(record.counts.documents),
            str(record.counts.flags),
            str(record.counts.new_flags),
            str(record.counts.facts),
            f"{run.accounting.calls} / {run.tokens}",
            duration_text(run.seconds),
        )
    return table


def runs_command(db: DbOption = None) -> None:
    """List the runs: backend, model, prompt version, counts, model calls/tokens, duration."""
    lang = current_lang()
    table = runs_table(db, lang)
    if table is None:
        typer.echo(text("runs.none", lang))
        return
    console = Console()
    if not console.is_terminal:  # pipes: no 80-column folding
        console = Console(width=200)
    console.print(table)


def serve_command(
    db: DbOption = None,
    host: Annotated[
        str, typer.Option("--host", help="address to bind; other than 127.0.0.1 exposes the pages")
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = 8000,
    token: Annotated[
        str | None,
        typer.Option("--token", help="require this token on every request (?token=… once, then a cookie)"),
    ] = None,
) -> None:
    """Review flags in a browser: flags, one flag with its sources and decision buttons, documents, runs."""
    lang = current_lang()
    settings = _settings(db)
    db_path = settings.db_path
    if not db_path.exists():
        raise failure(text("db.missing", lang, path=db_path), ExitCode.STORE)
    try:
        import uvicorn

        from pipeline.web.app import create_app
    except ImportError as exc:  # pragma: no cover - the dependencies are installed with recon
        raise failure(text("serve.missing_extra", lang, reason=exc)) from exc
    errors = Console(stderr=True)
    if host not in LOOPBACK and not token:
        errors.print(text("serve.no_auth", lang, host=host), style="bold red", soft_wrap=True)
    if token:
        errors.print(text("serve.token_on", lang), soft_wrap=True)
    shown = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}/"
    if token:
        shown += f"?token={token}"
    typer.echo(text("serve.listening", lang, url=shown))
    try:
        app = create_app(db_path, token=token, lang=lang_flag() or settings.lang)
    except ReconError as exc:
        raise exit_for(exc) from exc
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add `runs` and `serve` to recon's typer app."""
    app.command("runs")(runs_command)
    app.command("serve")(serve_command)
