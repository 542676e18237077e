"""Typed errors, split by who must act. The CLI turns them into messages and exit codes.

An error raised with a `Phrase` (a message key of `pipeline.i18n` and its parameters), or
several joined by `;`, prints in the reader's language (`in_lang`); `str(error)` is always
the English text, which logs and JSON keep. An error raised with a plain string prints that
string in either language.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from pipeline.i18n import Lang, Phrase, phrase, text


class ReconError(Exception):
    """Root of every error recon raises on purpose."""

    #: the message as keys and their parameters (empty: the message is the English text only)
    wording: tuple[Phrase, ...] = ()

    def __init__(self, message: str | Phrase | Sequence[Phrase] = "") -> None:
        if isinstance(message, Phrase):
            message = (message,)
        if not isinstance(message, str):
            self.wording = tuple(message)
            message = _joined(self.wording, "en")
        super().__init__(message)

    def in_lang(self, lang: Lang) -> str:
        """The one-line message in `lang` (the English text when it was raised without a phrase)."""
        return _joined(self.wording, lang) if self.wording else str(self)


def _joined(wording: Sequence[Phrase], lang: Lang) -> str:
    """Several phrases on one line."""
    return ("；" if lang == "zh" else "; ").join(part.render(lang) for part in wording)


class ConfigError(ReconError):
    """A setting is missing or wrong: the user fixes the configuration."""


class ModelRefusedError(ConfigError):
    """The model server refused a request as it would refuse every one (401/403/404): the run stops
    calling it. `reason` is the server's answer, never the key."""

    def __init__(self, reason: str) -> None:
        super().__init__(phrase("error.model_refused", reason=reason))
        self.reason = reason


def _reason_text(reason: str | Phrase) -> tuple[str, Phrase | None]:
    """`reason` in English, and as a phrase when it is one."""
    return (reason.english, reason) if isinstance(reason, Phrase) else (reason, None)


class IngestError(ReconError):
    """This file cannot be read, and why (names the file). `reason` is the English text."""

    def __init__(self, path: str, reason: str | Phrase) -> None:
        self.reason, self.reason_wording = _reason_text(reason)
        super().__init__(f"{path}: {self.reason}")
        self.path = path

    def reason_in(self, lang: Lang) -> str:
        """Why the file cannot be read, in `lang`."""
        return self.reason_wording.render(lang) if self.reason_wording is not None else self.reason

    def in_lang(self, lang: Lang) -> str:
        return text("error.file", lang, path=self.path, reason=self.reason_in(lang))


class ExtractionError(ReconError):
    """The model failed on a chunk; carries the chunk id, attempts and the cause (`from e`)."""

    def __init__(self, chunk_id: str, reason: str, attempts: int = 0) -> None:
        super().__init__(phrase("error.chunk", chunk=chunk_id, reason=reason, count=attempts))
        self.chunk_id = chunk_id
        self.reason = reason
        self.attempts = attempts


class GoldFormatError(ReconError):
    """A gold file does not follow recon-gold/1; names the file and the JSON path."""

    def __init__(self, path: str, json_path: str, reason: str | Phrase) -> None:
        self.reason, self.reason_wording = _reason_text(reason)
        super().__init__(f"{path}: at {json_path}: {self.reason}")
        self.path = path
        self.json_path = json_path

    def in_lang(self, lang: Lang) -> str:
        reason = self.reason_wording.render(lang) if self.reason_wording is not None else self.reason
        return text("error.gold", lang, path=self.path, json_path=self.json_path, reason=reason)


class StoreError(ReconError):
    """The SQLite store cannot be used (locked by another run, wrong schema, unwritable)."""


class ExitCode(IntEnum):
    """What a `recon` command's exit status means (for cron, systemd and CI).

    Defined here, beside the errors, because `run` decides a run's outcome code; only
    `pipeline.cli.exits` maps an error to one.
    """

    OK = 0
    #: some files failed, a figure fell below its floor, or any other recon error
    FAILURE = 1
    #: usage or configuration error (typer's own code for bad usage), malformed gold file
    USAGE = 2
    #: open flags at or above --fail-on that nobody has decided on (on the run's documents)
    OPEN_FLAGS = 3
    #: the store is unavailable: another run holds the lock, or the database is unusable
    STORE = 4
