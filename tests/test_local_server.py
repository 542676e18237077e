"""Lifecycle of the local model server, with a fake script standing in for llama_cpp.server.

The fake speaks just enough HTTP (`GET /v1/models`) and can be told, through
environment variables, to answer late, never, crash at start or ignore SIGTERM.
The tests check that recon starts it, detects readiness, and leaves no process
behind: on normal exit, on an exception, on Ctrl-C, on timeout, and when recon
itself is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.extract.model.local_server import (
    DEFAULT_LOCAL_CHUNK_CHARS,
    MODEL_ALIAS,
    LocalServer,
    LocalServerError,
    local_server,
)
from pipeline.settings import load_settings

Fake = dict[str, Path]

FAKE_SERVER = textwrap.dedent(
    """
    import argparse, json, os, signal, sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--model")
    args, _ = parser.parse_known_args()
    with open(os.environ["FAKE_PID_FILE"], "a") as f:
        f.write(f"{os.getpid()}\\n")
    behaviour = os.environ.get("FAKE_BEHAVIOUR", "ok")
    print("fake llama server starting", " ".join(sys.argv[1:]), flush=True)
    if behaviour == "crash":
        print("error: failed to load model", flush=True)
        sys.exit(3)
    if behaviour == "ignore_term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if behaviour == "never_ready":
        while True:
            time.sleep(1)
    time.sleep(float(os.environ.get("FAKE_DELAY", "0")))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/v1/models":
                body = json.dumps({"object": "list", "data": [{"id": "recon-local"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

        def do_POST(self):
            if behaviour == "hang_post":
                time.sleep(3600)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *a):
            pass

    HTTPServer((args.host, args.port), Handler).serve_forever()
    """
)


@pytest.fixture()
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    script = tmp_path / "fake_llama_server.py"
    script.write_text(FAKE_SERVER, encoding="utf-8")
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF fake")
    pid_file = tmp_path / "pids.txt"
    monkeypatch.setenv("FAKE_PID_FILE", str(pid_file))
    monkeypatch.setenv("RECON_MODEL_PATH", str(model))
    monkeypatch.setenv("RECON_MODEL_CACHE", str(tmp_path / "model-cache"))
    yield {"script": script, "model": model, "pids": pid_file}
    # Safety net: never leave a fake behind even when a test fails.
    for pid in _pids(pid_file):
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _pids(pid_file: Path) -> list[int]:
    if not pid_file.is_file():
        return []
    return [int(line) for line in pid_file.read_text().split()]


def _alive(pid: int) -> bool:
    """Running and not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_dead(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _launcher(fake: Fake) -> list[str]:
    return [sys.executable, str(fake["script"])]


def test_started_ready_and_stopped_on_exit(fake: Fake) -> None:
    settings = load_settings(backend="local")
    with local_server(settings, launcher=_launcher(fake), ready_timeout=20) as local:
        assert local.base_url is not None and local.base_url.startswith("http://127.0.0.1:")
        assert local.base_url.endswith("/v1")
        assert local.model == MODEL_ALIAS
        assert local.resolved_backend() == "local"
        with urllib.request.urlopen(local.base_url + "/models", timeout=5) as response:
            assert response.status == 200
        (pid,) = _pids(fake["pids"])
        assert _alive(pid)
    assert _wait_dead(pid, 0.5), "server still running after the with block"
    log = (settings.out_dir / "llama-server.log").read_text()
    assert "fake llama server starting" in log and f"--model {fake['model']}" in log
    assert "--n_ctx 8192" in log and "--host 127.0.0.1" in log


def test_context_and_threads_from_the_environment(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECON_LOCAL_N_CTX", "16384")
    monkeypatch.setenv("RECON_LOCAL_THREADS", "3")
    settings = load_settings()
    with local_server(settings, launcher=_launcher(fake), ready_timeout=20):
        pass
    log = (settings.out_dir / "llama-server.log").read_text()
    assert "--n_ctx 16384" in log and "--n_threads 3" in log


def test_ready_detection_waits_for_a_slow_start(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_DELAY", "1.5")
    started = time.monotonic()
    with local_server(load_settings(), launcher=_launcher(fake), ready_timeout=20) as local:
        assert time.monotonic() - started >= 1.5
        with urllib.request.urlopen(local.base_url + "/models", timeout=5) as response:
            assert response.status == 200


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()], ids=["exception", "ctrl-c"])
def test_stopped_when_the_block_raises(fake: Fake, error: BaseException) -> None:
    server = local_server(load_settings(), launcher=_launcher(fake), ready_timeout=20)
    with pytest.raises(type(error)), server:
        (pid,) = _pids(fake["pids"])
        assert _alive(pid)
        raise error
    assert _wait_dead(pid, 0.5)


def test_crash_before_ready_reports_the_log(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_BEHAVIOUR", "crash")
    server = local_server(load_settings(), launcher=_launcher(fake), ready_timeout=20)
    with pytest.raises(LocalServerError, match=r"exited with code 3[\s\S]*failed to load model"), server:
        pytest.fail("must not yield")


def test_timeout_kills_the_server(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_BEHAVIOUR", "never_ready")
    started = time.monotonic()
    with pytest.raises(LocalServerError, match="did not answer"), local_server(
        load_settings(), launcher=_launcher(fake), ready_timeout=1.0
    ):
        pytest.fail("must not yield")
    assert time.monotonic() - started < 15
    (pid,) = _pids(fake["pids"])
    assert _wait_dead(pid, 0.5)


def test_stop_escalates_to_sigkill(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_BEHAVIOUR", "ignore_term")
    server = LocalServer(fake["model"], launcher=_launcher(fake))
    server.start()
    try:
        server.wait_ready(timeout=20)
    finally:
        started = time.monotonic()
        server.stop(grace=0.5)
    assert time.monotonic() - started < 5
    (pid,) = _pids(fake["pids"])
    assert not _alive(pid)
    server.stop()  # idempotent


def _run_parent(fake: Fake, tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    """A recon process holding a server open; returns it and the server's pid."""
    parent_code = textwrap.dedent(
        f"""
        import sys, time
        from pipeline.extract.model.local_server import local_server
        from pipeline.settings import load_settings
        with local_server(load_settings(), launcher={_launcher(fake)!r}, ready_timeout=20):
            print("ready", flush=True)
            time.sleep(60)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert parent.stdout is not None
    assert parent.stdout.readline().strip() == "ready"
    (pid,) = _pids(fake["pids"])
    assert _alive(pid)
    return parent, pid


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_signal_does_not_wait_for_a_request_in_flight(
    fake: Fake, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    """Like the LLM path: a worker thread waits on the model; Ctrl-C/SIGTERM must not wait for it."""
    monkeypatch.setenv("FAKE_BEHAVIOUR", "hang_post")
    # SIGINT back to Python's default (KeyboardInterrupt): a pytest started under nohup or with `&`
    # ignores SIGINT, and the child would inherit that and never see the Ctrl-C.
    parent_code = textwrap.dedent(
        f"""
        import signal, time, urllib.request
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from concurrent.futures import ThreadPoolExecutor
        from pipeline.extract.model.local_server import local_server
        from pipeline.settings import load_settings
        with local_server(load_settings(), launcher={_launcher(fake)!r}, ready_timeout=20) as local:
            with ThreadPoolExecutor(1) as pool:
                request = urllib.request.Request(local.base_url + "/chat/completions", data=b"{{}}")
                future = pool.submit(urllib.request.urlopen, request, timeout=300)
                time.sleep(0.5)
                print("waiting", flush=True)
                future.exception()
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "waiting"
        (pid,) = _pids(fake["pids"])
        started = time.monotonic()
        parent.send_signal(signum)
        parent.wait(timeout=20)
        assert time.monotonic() - started < 10, "recon waited for the request in flight"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        assert parent.stdout is not None
        parent.stdout.close()
    assert parent.returncode != 0
    assert _wait_dead(pid, 2)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_no_orphan_when_recon_is_killed(fake: Fake, tmp_path: Path, signum: int) -> None:
    parent, pid = _run_parent(fake, tmp_path)
    try:
        parent.send_signal(signum)
        parent.wait(timeout=15)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        assert parent.stdout is not None
        parent.stdout.close()
    if signum == signal.SIGTERM:
        assert parent.returncode == 128 + signal.SIGTERM  # SystemExit raised by our handler, finally ran
    assert _wait_dead(pid, 10), f"server pid {pid} outlived recon after signal {signum}"


def test_missing_llama_cpp_gives_the_install_hint(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.extract.model.local_server._SERVER_MODULES", ("recon_no_such_module_xyz",))
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[local\]'"), local_server(load_settings()):
        pytest.fail("must not yield")
    assert _pids(fake["pids"]) == []


def test_missing_model_names_the_fetch_command(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECON_MODEL_PATH")
    with pytest.raises(ConfigError, match=r"recon model fetch qwen2\.5-coder-1\.5b"), local_server(
        load_settings(), launcher=_launcher(fake)
    ):
        pytest.fail("must not yield")
    monkeypatch.setenv("RECON_MODEL_PATH", str(fake["model"].with_name("absent.gguf")))
    server = local_server(load_settings(), launcher=_launcher(fake))
    with pytest.raises(ConfigError, match="is not a file"), server:
        pytest.fail("must not yield")


def test_local_defaults_and_explicit_settings(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    with local_server(load_settings(instructor_mode="json_schema"), launcher=_launcher(fake)) as local:
        assert local.instructor_mode == "json_object_schema"  # llama.cpp's server rejects json_schema
        assert local.chunk_chars == DEFAULT_LOCAL_CHUNK_CHARS
        assert local.concurrency == 1
        assert local.timeout_seconds >= 300
        assert local.transport_retries == 1
        assert local.api_key is not None
    monkeypatch.setenv("RECON_CHUNK_CHARS", "2500")
    explicit = load_settings(instructor_mode="tools", concurrency=3)
    with local_server(explicit, launcher=_launcher(fake)) as local:
        assert (local.chunk_chars, local.concurrency, local.instructor_mode) == (2500, 3, "tools")
    monkeypatch.delenv("RECON_CHUNK_CHARS")
    monkeypatch.setenv("RECON_LOCAL_CHUNK_CHARS", "900")
    with local_server(load_settings(), launcher=_launcher(fake)) as local:
        assert local.chunk_chars == 900
