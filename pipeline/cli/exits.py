"""The one place where an error becomes a message on stderr and an exit code.

Every command group calls `exit_for` (or the `errors_at_the_edge` context manager), so that an
error kind exits with the same code whichever command met it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

from pipeline.cli.options import current_lang
from pipeline.errors import ConfigError, ExitCode, GoldFormatError, ReconError, StoreError
from pipeline.i18n import text
from pipeline.review.review import FlagNotFoundError
from pipeline.safe_text import visible


def code_for(error: ReconError) -> ExitCode:
    """The exit code of an error kind: the user fixes configuration or gold (2), the store (4), else 1."""
    if isinstance(error, ConfigError | GoldFormatError):
        return ExitCode.USAGE
    if isinstance(error, StoreError):
        return ExitCode.STORE
    return ExitCode.FAILURE


def message_for(error: ReconError) -> str:
    """The one-line message for `error`, in the chosen language."""
    if isinstance(error, FlagNotFoundError):
        return text("flag.not_found", current_lang(), id=error.flag_id)
    return error.in_lang(current_lang())


def failure(message: str, code: ExitCode = ExitCode.FAILURE) -> typer.Exit:
    """Print `Error: message` on stderr (one line) and return the exit to raise."""
    line = text("error", current_lang(), message=message)
    Console(stderr=True).print(Text(visible(line, keep_newlines=False), style="bold red"), soft_wrap=True)
    return typer.Exit(int(code))


def exit_for(error: ReconError) -> typer.Exit:
    """Print `error` and return the exit with its code (`raise exit_for(error) from error`)."""
    return failure(message_for(error), code_for(error))


def fail(error: ReconError) -> NoReturn:
    """Print `error` on stderr and exit with the code for its kind."""
    raise exit_for(error) from error


@contextmanager
def errors_at_the_edge() -> Iterator[None]:
    """Turn ReconErrors raised inside a command into a message and an exit code."""
    try:
        yield
    except ReconError as error:
        fail(error)
