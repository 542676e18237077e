"""Settings resolved once into a frozen object: environment first, then CLI flags.

Secrets (the API key) are held as `SecretStr` so they are never printed, logged
or stored. `RECON_HOME` points every default path (database, outputs, model
cache) at one folder, which lets tests run in a tmp dir.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from pipeline.errors import ConfigError

Backend = Literal["auto", "rules", "llm", "local"]
LLMPolicy = Literal["all", "uncovered"]
InstructorModeName = Literal["tools", "json_schema", "json", "md_json", "json_object_schema"]


def public_url(url: str | None) -> str | None:
    """`url` safe to print or store: no `user:password@` and no query string (which may hold a key)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


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
        "document first and only chunks with amounts it found nothing in go to the model",
    )
    max_file_bytes: int = Field(default=20_000_000, ge=1)

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
            raise ConfigError(
                "the llm backend is not configured: set RECON_BASE_URL and RECON_MODEL "
                "(or --base-url/--model), or use --backend rules"
            )


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, then `overrides` (CLI flags) where not None."""
    home = Path(_env("RECON_HOME") or Path.cwd())
    api_key = _env("RECON_API_KEY") or _env("OPENAI_API_KEY")
    values: dict[str, Any] = {
        "home": home,
        "db_path": Path(_env("RECON_DB") or home / "recon.db"),
        "out_dir": Path(_env("RECON_OUT") or home / "recon-out"),
        "backend": _env("RECON_BACKEND", "auto"),
        "base_url": _env("RECON_BASE_URL"),
        "model": _env("RECON_MODEL"),
        "api_key": SecretStr(api_key) if api_key else None,
        "instructor_mode": _env("RECON_INSTRUCTOR_MODE", "tools"),
        "model_path": Path(p) if (p := _env("RECON_MODEL_PATH")) else None,
        "llm_policy": _env("RECON_LLM_POLICY", "all"),
    }
    for name, env_name in (
        ("concurrency", "RECON_CONCURRENCY"),
        ("requests_per_minute", "RECON_RPM"),
        ("chunk_chars", "RECON_CHUNK_CHARS"),
        ("max_retries", "RECON_MAX_RETRIES"),
        ("timeout_seconds", "RECON_TIMEOUT"),
        ("max_output_tokens", "RECON_MAX_OUTPUT_TOKENS"),
        ("max_file_bytes", "RECON_MAX_FILE_BYTES"),
    ):
        if (raw := _env(env_name)) is not None:
            values[name] = raw
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "api_key" and isinstance(value, str):
            value = SecretStr(value)
        values[key] = value
    try:
        return Settings(**values)
    except ValueError as exc:
        raise ConfigError(f"invalid setting: {exc}") from exc
