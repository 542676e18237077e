"""One exit-code map (`pipeline.cli.exits`) and one secret redactor (`settings.redact_argv`)."""

from __future__ import annotations

import pytest
import typer

from pipeline.cli.exits import code_for, exit_for
from pipeline.errors import (
    ConfigError,
    ExitCode,
    ExtractionError,
    GoldFormatError,
    IngestError,
    ReconError,
    StoreError,
)
from pipeline.review.review import FlagNotFoundError
from pipeline.settings import redact_argv


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("no model"), ExitCode.USAGE),
        (GoldFormatError("g.json", "projects[0]", "bad"), ExitCode.USAGE),
        (StoreError("locked"), ExitCode.STORE),
        (IngestError("a.txt", "empty"), ExitCode.FAILURE),
        (ExtractionError("c1", "timeout"), ExitCode.FAILURE),
        (FlagNotFoundError(7), ExitCode.FAILURE),
        (ReconError("other"), ExitCode.FAILURE),
    ],
)
def test_each_error_kind_has_one_code(error: ReconError, code: ExitCode) -> None:
    assert code_for(error) is code
    exit_ = exit_for(error)
    assert isinstance(exit_, typer.Exit) and exit_.exit_code == int(code)


def test_exit_codes_keep_their_documented_numbers() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4]


def test_redact_argv_hides_keys_and_url_credentials() -> None:
    argv = [
        "recon",
        "run",
        "--api-key",
        "sk-secret",
        "--api-key=sk-other",
        "--base-url",
        "https://user:pw@host:8080/v1?key=k",
        "--base-url=https://u:p@h/v1",
        "docs",
    ]
    assert redact_argv(argv) == [
        "recon",
        "run",
        "--api-key",
        "***",
        "--api-key=***",
        "--base-url",
        "https://host:8080/v1",
        "--base-url=https://h/v1",
        "docs",
    ]
    assert redact_argv(redact_argv(argv)) == redact_argv(argv)
