"""Run a GGUF model locally behind llama.cpp's OpenAI-compatible server.

The `local` backend does not have its own extraction code: `local_server`
starts `python -m llama_cpp.server` as a child process that recon owns, waits
until `/v1/models` answers, and yields `Settings` pointed at it
(`base_url=http://127.0.0.1:PORT/v1`), so the ordinary LLM path
(`pipeline.extract.model.llm` / `pipeline.extract.model.backend`) runs unchanged against it.

The server is stopped when the `with` block ends, whether normally, on an
exception or on Ctrl-C; an `atexit` hook covers interpreter exit, temporary
SIGTERM/SIGINT handlers kill the server before unwinding (so Ctrl-C does not
wait for a long answer in flight), and on Linux the child also gets
`PR_SET_PDEATHSIG` (SIGKILL) so that it dies even if recon is killed with SIGKILL.

Local defaults differ from a hosted API, because a 1.5B model on two CPU cores
answers one request at a time at 5–8 tokens/s:

* instructor mode: `tools` (llama.cpp turns a forced tool call into a grammar,
  so the JSON is enforced); `json_schema` is swapped for `json_object_schema`
  because llama-cpp-python's server rejects `response_format` type
  `json_schema` (HTTP 500);
* smaller chunks (`RECON_LOCAL_CHUNK_CHARS`, default 1500) unless the chunk
  size was set explicitly;
* one request at a time, a longer timeout and one transport retry, unless
  set explicitly;
* a context of 8192 tokens (`RECON_LOCAL_N_CTX`): the extraction prompt with
  its schema is ~2,900 tokens before the chunk, so 4096 leaves no room for a
  1500-character chunk and its answer.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

from pydantic import SecretStr

from pipeline.errors import ConfigError, ReconError
from pipeline.extract.model.model_fetch import KNOWN_MODELS, default_cache_dir, find_cached_model
from pipeline.settings import Settings

__all__ = [
    "DEFAULT_LOCAL_CHUNK_CHARS",
    "DEFAULT_LOCAL_N_CTX",
    "LocalServer",
    "LocalServerError",
    "local_server",
    "local_settings",
    "resolve_model_path",
]

logger = logging.getLogger(__name__)

#: Chunk size for the local backend when none was set: a 1.5B model is slow and
#: drops facts on long inputs, and n_ctx 4096 must hold prompt, schema and answer.
DEFAULT_LOCAL_CHUNK_CHARS = 1500
#: Seconds a local request may take (the first one after start reads the whole prompt).
DEFAULT_LOCAL_TIMEOUT = 900.0
#: llama.cpp context window: prompt + schema (~2,900 tokens) + chunk + answer.
DEFAULT_LOCAL_N_CTX = 8192
MODEL_ALIAS = "recon-local"
INSTALL_HINT = "pip install -e '.[local]' — see README (build it portable with scripts/build_llama_cpp.sh)"

_DEFAULT_LAUNCHER: tuple[str, ...] = (sys.executable, "-m", "llama_cpp.server")
_SERVER_MODULES = (
    "llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings",
)
_PR_SET_PDEATHSIG = 1


class LocalServerError(ReconError):
    """The local model server could not be started or did not become ready."""


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGKILL the server when recon's process dies, even by SIGKILL.

    SIGKILL, not SIGTERM: uvicorn's graceful shutdown waits for the request in
    flight, and a small model can take minutes to finish an answer nobody reads.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _check_llama_cpp_installed() -> None:
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            "the local backend needs llama-cpp-python with its server extra "
            f"(missing: {', '.join(missing)}): {INSTALL_HINT}"
        )


class LocalServer:
    """One `llama_cpp.server` child process; use `local_server()` rather than this directly."""

    def __init__(
        self,
        model_path: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        launcher: Sequence[str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.model_path = model_path
        self.host = host
        self.port = port or _free_port(host)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, min(os.cpu_count() or 2, 8))
        self.launcher = tuple(launcher) if launcher is not None else _DEFAULT_LAUNCHER
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def command(self) -> list[str]:
        return [
            *self.launcher,
            "--model", str(self.model_path),
            "--model_alias", MODEL_ALIAS,
            "--host", self.host,
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
        ]

    def start(self) -> None:
        """Spawn the server (its own session, so a terminal Ctrl-C reaches recon first)."""
        if self.process is not None:
            raise LocalServerError("server already started")
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("wb")
        sink: IO[bytes] | int = self._log if self._log is not None else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        except OSError as exc:
            self._close_log()
            raise LocalServerError(f"cannot start {self.launcher[0]}: {exc}") from exc
        _LIVE.add(self)
        logger.info("started local model server pid %s on %s", self.process.pid, self.base_url)

    def wait_ready(self, timeout: float = 120.0, poll: float = 0.25) -> None:
        """Block until `GET /v1/models` answers 200; raise if the process exits or time runs out."""
        if self.process is None:
            raise LocalServerError("server not started")
        deadline = time.monotonic() + timeout
        url = self.base_url + "/models"
        while True:
            code = self.process.poll()
            if code is not None:
                raise LocalServerError(
                    f"the local model server exited with code {code} before it was ready"
                    + self._log_tail()
                )
            try:
                with urllib.request.urlopen(url, timeout=2.0) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() >= deadline:
                raise LocalServerError(
                    f"the local model server did not answer {url} within {timeout:.0f} s" + self._log_tail()
                )
            time.sleep(poll)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the server's process group, SIGKILL after `grace` seconds; idempotent.

        uvicorn finishes the request in flight before it exits on SIGTERM, so a
        server busy with a long answer is killed after `grace`.
        """
        process = self.process
        if process is None:
            return
        try:
            if process.poll() is None:
                self._signal(signal.SIGTERM)
                try:
                    process.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL)
                    process.wait(timeout=grace)
            else:
                process.wait()
        finally:
            _LIVE.discard(self)
            self.process = None
            self._close_log()
            logger.info("stopped local model server pid %s", process.pid)

    def kill_now(self) -> None:
        """SIGKILL the server without waiting (safe in a signal handler); `stop()` still reaps it."""
        if self.process is not None and self.process.poll() is None:
            self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def _log_tail(self, lines: int = 8) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return ""
        if self._log is not None:
            self._log.flush()
        tail = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:]
        return f" (log {self.log_path}):\n" + "\n".join(tail) if tail else ""


#: Servers not yet stopped, for the atexit hook.
_LIVE: set[LocalServer] = set()


@atexit.register
def _stop_all_at_exit() -> None:
    for server in list(_LIVE):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            server.stop(grace=3.0)


@contextlib.contextmanager
def _signals_stop_server(server: LocalServer) -> Iterator[None]:
    """While the server runs, SIGTERM and Ctrl-C kill it first, then raise.

    Killing first matters: the LLM path waits for its worker threads, which
    sit in an HTTP request to this server; once the server is gone that request
    fails at once and the exception can unwind (otherwise Ctrl-C waits for the
    model to finish a long answer). SIGTERM becomes SystemExit(143), Ctrl-C
    stays KeyboardInterrupt. Only from the main thread, and only where no
    other handler was installed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    replaced: dict[int, Any] = {}

    def _kill_then_raise(signum: int, frame: FrameType | None) -> None:
        server.kill_now()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    for signum, default in ((signal.SIGTERM, signal.SIG_DFL), (signal.SIGINT, signal.default_int_handler)):
        previous = signal.getsignal(signum)
        if previous in (default, None):
            replaced[signum] = previous if previous is not None else default
            signal.signal(signum, _kill_then_raise)
    try:
        yield
    finally:
        for restored, handler in replaced.items():
            signal.signal(restored, handler)


def resolve_model_path(settings: Settings) -> Path:
    """`settings.model_path`, else the fetched 1.5B model in the cache; ConfigError if neither."""
    if settings.model_path is not None:
        path = settings.model_path.expanduser()
        if not path.is_file():
            raise ConfigError(f"RECON_MODEL_PATH / --model-path {path} is not a file")
        return path
    cached = find_cached_model("qwen2.5-coder-1.5b") or find_cached_model("qwen2.5-coder-0.5b")
    if cached is not None:
        return cached
    raise ConfigError(
        "the local backend needs a GGUF model: set RECON_MODEL_PATH (or --model-path), or run "
        f"`recon model fetch qwen2.5-coder-1.5b` (cache: {default_cache_dir()}; known: "
        f"{', '.join(sorted(KNOWN_MODELS))})"
    )


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def local_settings(settings: Settings, base_url: str, model: str = MODEL_ALIAS) -> Settings:
    """`settings` pointed at a local server, with local defaults where the user set nothing."""
    explicit = settings.model_fields_set
    update: dict[str, Any] = {"base_url": base_url, "model": model}
    if settings.api_key is None:
        update["api_key"] = SecretStr("local")  # llama.cpp ignores it; the OpenAI client wants one
    if settings.instructor_mode == "json_schema":
        logger.warning("llama.cpp's server rejects response_format json_schema; using json_object_schema")
        update["instructor_mode"] = "json_object_schema"
    if "chunk_chars" not in explicit:
        update["chunk_chars"] = _int_env("RECON_LOCAL_CHUNK_CHARS", DEFAULT_LOCAL_CHUNK_CHARS)
    if "concurrency" not in explicit:
        update["concurrency"] = 1
    if "timeout_seconds" not in explicit:
        update["timeout_seconds"] = DEFAULT_LOCAL_TIMEOUT
    if "transport_retries" not in explicit:
        # A local server that timed out is busy, not flaky: re-sending the same long prompt only queues it.
        update["transport_retries"] = 1
    try:
        return Settings(**{**settings.model_dump(), **update})
    except ValueError as exc:
        raise ConfigError(f"invalid local setting: {exc}") from exc


@contextlib.contextmanager
def local_server(
    settings: Settings,
    *,
    launcher: Sequence[str] | None = None,
    ready_timeout: float = 180.0,
    n_ctx: int | None = None,
    n_threads: int | None = None,
) -> Iterator[Settings]:
    """Start a llama.cpp server for `settings`' GGUF and yield Settings pointed at it.

    `launcher` replaces `python -m llama_cpp.server` (tests pass a fake server
    script). `n_ctx` defaults to `RECON_LOCAL_N_CTX` or 8192, `n_threads` to
    `RECON_LOCAL_THREADS` or the CPU count (at most 8). The server is stopped
    when the block exits, however it exits.
    """
    model_path = resolve_model_path(settings)
    if launcher is None:
        _check_llama_cpp_installed()
    server = LocalServer(
        model_path,
        n_ctx=n_ctx or _int_env("RECON_LOCAL_N_CTX", DEFAULT_LOCAL_N_CTX),
        n_threads=n_threads or _int_env("RECON_LOCAL_THREADS", 0) or None,
        launcher=launcher,
        log_path=settings.out_dir / "llama-server.log",
    )
    with _signals_stop_server(server):
        server.start()
        try:
            server.wait_ready(timeout=ready_timeout)
            yield local_settings(settings, server.base_url)
        finally:
            server.stop()
