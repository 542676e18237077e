"""Typed errors, split by who must act. The CLI turns them into messages and exit codes."""

from __future__ import annotations

from enum import IntEnum


class ReconError(Exception):
    """Root of every error recon raises on purpose."""


class ConfigError(ReconError):
    """A setting is missing or wrong: the user fixes the configuration."""


class ModelRefusedError(ConfigError):
    """The model server refused a request as it would refuse every one (401/403/404): the run stops
    calling it. `reason` is the server's answer, never the key."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the model server refused the request ({reason}): check RECON_API_KEY, RECON_BASE_URL "
            "and RECON_MODEL"
        )
        self.reason = reason


class IngestError(ReconError):
    """This file cannot be read, and why (names the file)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ExtractionError(ReconError):
    """The model failed on a chunk; carries the chunk id, attempts and the cause (`from e`)."""

    def __init__(self, chunk_id: str, reason: str, attempts: int = 0) -> None:
        super().__init__(f"chunk {chunk_id}: {reason} (after {attempts} attempt(s))")
        self.chunk_id = chunk_id
        self.reason = reason
        self.attempts = attempts


class GoldFormatError(ReconError):
    """A gold file does not follow recon-gold/1; names the file and the JSON path."""

    def __init__(self, path: str, json_path: str, reason: str) -> None:
        super().__init__(f"{path}: at {json_path}: {reason}")
        self.path = path
        self.json_path = json_path
        self.reason = reason


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
