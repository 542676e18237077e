"""Settings resolved once into a frozen object: environment first, then CLI flags.

Secrets (the API key) are held as `SecretStr` so they are never printed, logged
or stored. `RECON_HOME` points the default database, per-document results and
exports at one folder (the current directory unless set), which lets tests run
in a tmp dir.

`ENVIRONMENT` lists every environment variable recon reads, here or in another
module, with its flag, default, allowed values and meaning: `load_settings`
reads the variables through it, a bad value is reported by its name and what it
allows, and the README's table of variables is rendered from it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit, urlunsplit

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from pipeline.errors import ConfigError
from pipeline.i18n import Lang as Lang
from pipeline.i18n import Phrase, phrase

Backend = Literal["auto", "rules", "llm", "local"]
LLMPolicy = Literal["all", "uncovered"]
LLMContract = Literal["ids", "copy"]
AcceptPolicy = Literal["checked", "all"]
InstructorModeName = Literal["tools", "json_schema", "json", "md_json", "json_object_schema"]


def public_url(url: str | None) -> str | None:
    """`url` safe to print or store: no `user:password@` and no query string (which may hold a key)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


#: Options whose value is a secret: never stored or printed.
_SECRET_OPTIONS = ("--api-key",)
#: Options whose value is a URL that may carry credentials.
_URL_OPTIONS = ("--base-url",)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """argv safe to store or print: the values of secret options (`--api-key X`, `--api-key=X`)
    become `***` and a `--base-url` value loses its credentials (`public_url`)."""
    redacted: list[str] = []
    pending: str | None = None
    for arg in argv:
        if pending is not None:
            redacted.append("***" if pending in _SECRET_OPTIONS else public_url(arg) or arg)
            pending = None
            continue
        name, sep, value = arg.partition("=")
        if name in _SECRET_OPTIONS or name in _URL_OPTIONS:
            if sep:
                shown = "***" if name in _SECRET_OPTIONS else public_url(value) or value
                redacted.append(f"{name}={shown}")
            else:
                redacted.append(arg)
                pending = name
            continue
        redacted.append(arg)
    return redacted


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Settings(BaseModel):
    """Everything configurable, in one place."""

    model_config = ConfigDict(frozen=True)

    home: Path = Field(default_factory=Path.cwd)
    db_path: Path = Path("recon.db")
    out_dir: Path = Path("recon-out")
    backend: Backend = "auto"
    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    instructor_mode: InstructorModeName = "tools"
    max_retries: int = Field(default=2, ge=0, description="instructor re-asks on validation errors")
    transport_retries: int = Field(default=4, ge=0, description="tenacity attempts on timeouts/429/5xx")
    timeout_seconds: float = Field(default=120.0, gt=0)
    max_output_tokens: int = Field(default=2048, ge=64, description="max_tokens of each model answer")
    concurrency: int = Field(default=8, ge=1)
    requests_per_minute: int = Field(default=600, ge=1)
    chunk_chars: int = Field(default=3000, ge=200, description="chunk size limit in characters")
    model_path: Path | None = None
    llm_policy: LLMPolicy = Field(
        default="all",
        description="all: every chunk goes to the model; uncovered: the rules backend reads the "
        "document first and only chunks holding money it left unplaced, or whose facts fail the "
        "checker, go to the model",
    )
    llm_contract: LLMContract = Field(
        default="ids",
        description="ids: numbers are marked with ids and the model answers with ids; "
        "copy: the model copies numbers as written",
    )
    accept: AcceptPolicy = Field(
        default="checked",
        description="under `uncovered`, which model roles the rules did not give are kept: checked: "
        "only those the checker has nothing new against; all: every one",
    )
    llm_hints: bool = Field(default=True, description="show the model the roles the rules assigned")
    max_file_bytes: int = Field(default=20_000_000, ge=1)
    lang: Lang = Field(default="zh", description="language of messages, tables, pages and errors")
    max_unzipped_bytes: int = Field(
        default=100_000_000, ge=1, description="what a .docx may unpack to in all (zip bomb guard)"
    )
    max_zip_ratio: int = Field(
        default=100, ge=1, description="compression ratio above which a .docx part (over 1 MB) is refused"
    )

    @property
    def llm_configured(self) -> bool:
        return bool(self.base_url and self.model)

    def resolved_backend(self) -> Literal["rules", "llm", "local"]:
        """`auto` means `llm` when a model is configured, `local` with a GGUF path, else `rules`."""
        if self.backend != "auto":
            return self.backend
        if self.llm_configured:
            return "llm"
        if self.model_path is not None:
            return "local"
        return "rules"

    def require_llm(self) -> None:
        if not self.llm_configured:
            raise ConfigError(phrase("config.llm_not_configured"))


@dataclass(frozen=True)
class EnvVar:
    """One environment variable recon reads; `field` is the `Settings` field it sets, if any."""

    name: str
    meaning: str
    flag: str | None = None
    field: str | None = None
    default: str | None = None
    allowed: str | None = None

    def default_text(self) -> str:
        """The default as documented: given here, else the `Settings` field's, else "unset"."""
        if self.default is not None:
            return self.default
        if self.field is not None:
            value = Settings.model_fields[self.field].default
            if value is not None:
                return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"
        return "unset"

    def allowed_text(self) -> str:
        """What values are accepted: given here, else derived from the `Settings` field's type."""
        if self.allowed is not None:
            return self.allowed
        if self.field is None:
            return "any text"
        return _allowed_by_field(self.field)


def _allowed_by_field(field: str) -> str:
    info = Settings.model_fields[field]
    annotation = info.annotation
    choices = get_args(annotation) if get_origin(annotation) is Literal else ()
    if choices:
        return "one of " + ", ".join(f"`{choice}`" for choice in choices)
    bounds = [
        f"≥ {item.ge}" if isinstance(item, annotated_types.Ge) else f"> {item.gt}"
        for item in info.metadata
        if isinstance(item, annotated_types.Ge | annotated_types.Gt)
    ]
    if annotation is int:
        return " ".join(["a whole number", *bounds])
    if annotation is float:
        return " ".join(["a number", *bounds])
    if Path in get_args(annotation) or annotation is Path:
        return "a path"
    return "any text"


#: The folder the default database, results and exports go to, as every `--help` states it.
HOME_DEFAULT = "the current directory"
#: The default database, as every `--db` help and the README state it.
DB_DEFAULT = "`recon.db` in `$RECON_HOME`"
#: The default per-document results folder of `recon run`.
OUT_DEFAULT = "`recon-out` in `$RECON_HOME`"

#: Every environment variable recon reads, in the order the README lists them.
ENVIRONMENT: tuple[EnvVar, ...] = (
    EnvVar("RECON_HOME", "folder of the default database, per-document results and exports",
           default=HOME_DEFAULT, allowed="a path"),
    EnvVar("RECON_DB", "SQLite database", "--db", "db_path", default=DB_DEFAULT),
    EnvVar("RECON_OUT", "folder of `recon run`'s one `<file>.json` per document", "--out", "out_dir",
           default=OUT_DEFAULT),
    EnvVar("RECON_BACKEND", "`auto`: `llm` when `RECON_BASE_URL` and `RECON_MODEL` are set, `local` "
           "with `RECON_MODEL_PATH`, else `rules`", "--backend", "backend"),
    EnvVar("RECON_BASE_URL", "OpenAI-compatible server base URL", "--base-url", "base_url"),
    EnvVar("RECON_MODEL", "model name", "--model", "model"),
    EnvVar("RECON_API_KEY", "API key; never printed, logged or stored; local servers need none",
           "--api-key", "api_key"),
    EnvVar("OPENAI_API_KEY", "API key when `RECON_API_KEY` is not set", field="api_key"),
    EnvVar("RECON_INSTRUCTOR_MODE", "how structured output is requested; `json_object_schema` puts the "
           "schema inside a `json_object` response format, which llama.cpp enforces with a grammar",
           "--instructor-mode", "instructor_mode"),
    EnvVar("RECON_CONCURRENCY", "model requests at once", "--concurrency", "concurrency"),
    EnvVar("RECON_RPM", "model requests per minute", field="requests_per_minute"),
    EnvVar("RECON_MAX_RETRIES", "re-asks when an answer does not fit the schema", field="max_retries"),
    EnvVar("RECON_TIMEOUT", "seconds per model request", field="timeout_seconds"),
    EnvVar("RECON_MAX_OUTPUT_TOKENS", "`max_tokens` of each model answer", field="max_output_tokens"),
    EnvVar("RECON_CHUNK_CHARS", "chunk size in characters", field="chunk_chars"),
    EnvVar("RECON_LLM_POLICY", "`all`: every chunk goes to the model; `uncovered`: the rules backend "
           "reads first and only chunks holding money amounts it left unplaced, or whose facts fail the "
           "checker, go to the model", "--llm-policy", "llm_policy"),
    EnvVar("RECON_LLM_CONTRACT", "`ids`: every number of a chunk is marked `225万元⟦7⟧` and the model "
           "answers with ids (its numbers always come from the text); `copy`: the model copies numbers "
           "as written and recon finds them", "--llm-contract", "llm_contract"),
    EnvVar("RECON_ACCEPT", "under `--llm-policy uncovered`: `checked` keeps a model role the rules did "
           "not give only when the checker finds nothing new against it (else it is a proposal); "
           "`all` keeps every one", "--accept", "accept"),
    EnvVar("RECON_LLM_HINTS", "`ids` contract: show the model the roles the rules assigned "
           "(`⟦7⟧ budget_initial?`)", "--llm-hints/--no-llm-hints", "llm_hints",
           allowed="`true` or `false`"),
    EnvVar("RECON_MODEL_PATH", "GGUF file for the local backend", "--model-path", "model_path"),
    EnvVar("RECON_MAX_FILE_BYTES", "larger input files are refused", field="max_file_bytes"),
    EnvVar("RECON_MAX_UNZIPPED_BYTES", "a `.docx` whose parts would unpack to more is refused (zip bomb)",
           field="max_unzipped_bytes"),
    EnvVar("RECON_MAX_ZIP_RATIO", "a `.docx` part over 1 MB compressed more than this many to one is "
           "refused (zip bomb)", field="max_zip_ratio"),
    EnvVar("RECON_LOCAL_CHUNK_CHARS", "chunk size of the local backend when `RECON_CHUNK_CHARS` is unset",
           default="`1500`", allowed="a whole number"),
    EnvVar("RECON_LOCAL_N_CTX", "context size (tokens) of the local model", default="`8192`",
           allowed="a whole number"),
    EnvVar("RECON_LOCAL_THREADS", "CPU threads of the local model", default="the CPU count, at most 8",
           allowed="a whole number"),
    EnvVar("RECON_MODEL_CACHE", "where `recon model fetch` keeps models", "--cache-dir",
           default="`recon/models` in `$XDG_CACHE_HOME`, else `~/.cache/recon/models`", allowed="a path"),
    EnvVar("RECON_REVIEWER", "who `recon review` records as deciding", "--by", default="the login name"),
    EnvVar("RECON_LANG", "language of messages, tables, the report and `recon serve`'s pages "
           "(`zh`: Simplified Chinese); JSON keeps its English keys", "--lang", "lang"),
)


_FLAGS = {variable.field: variable.flag for variable in ENVIRONMENT if variable.field and variable.flag}


def env_var(name: str) -> EnvVar:
    """The `ENVIRONMENT` entry called `name`."""
    for variable in ENVIRONMENT:
        if variable.name == name:
            return variable
    raise KeyError(name)


def help_default(name: str) -> str:
    """How a `--help` text states the default of the option that `name` backs, the same everywhere.

    `default: $RECON_DB, else recon.db in $RECON_HOME (the current directory unless set)`.
    """
    variable = env_var(name)
    text = f"default: ${name}, else {variable.default_text()}"
    return text.replace("$RECON_HOME", f"$RECON_HOME ({HOME_DEFAULT} unless set)").replace("`", "")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, then `overrides` (CLI flags) where not None.

    A value that `Settings` refuses raises one `ConfigError` line naming the
    variable (or flag), the value and what is allowed.
    """
    home = Path(_env("RECON_HOME") or Path.cwd())
    values: dict[str, Any] = {"home": home, "db_path": home / "recon.db", "out_dir": home / "recon-out"}
    source: dict[str, str] = {}  # field -> the variable or flag its value came from
    for variable in ENVIRONMENT:
        field = variable.field
        if field is None or field in source or (raw := _env(variable.name)) is None:
            continue
        values[field] = raw
        source[field] = variable.name
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "api_key" and isinstance(value, str):
            value = SecretStr(value)
        values[key] = value
        source[key] = _FLAGS.get(key) or "--" + key.replace("_", "-")
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, values, source)) from exc


def _one_line(error: ValidationError, values: dict[str, Any], source: dict[str, str]) -> list[Phrase]:
    """`RECON_CONCURRENCY='0' is not allowed: a whole number ≥ 1 (default `8`)` for each bad field."""
    parts = []
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else ""
        name = source.get(field, field)
        value = values.get(field)
        shown = "***" if isinstance(value, SecretStr) else repr(str(value))
        allowed = _allowed_by_field(field) if field in Settings.model_fields else detail["msg"]
        allowed_text = str(allowed).replace("`", "")
        parts.append(phrase("config.not_allowed", name=name, value=shown, allowed=allowed_text))
    return list({part.english: part for part in parts}.values())
