"""A fake OpenAI-compatible chat-completions server for tests, on 127.0.0.1.

A real `http.server.ThreadingHTTPServer` in a thread, so the real openai
client, instructor and recon's retry code all run. Each request takes the
next behaviour from a queue (`server.push(...)`); when the queue is empty the
`responder` (a function of the request body) decides, by default an empty
answer. Behaviours: a correct answer (optionally slow), an HTTP error with
headers (429 + Retry-After, 500, 401), junk (truncated JSON), or a dropped
connection.

Answers take the shape instructor expects for the request: `tool_calls`
with the function's arguments as a JSON string when the request has `tools`
(TOOLS mode), else the JSON as message content (JSON / JSON_SCHEMA modes;
wrapped in a ```json block for MD_JSON). Every response carries `usage`.
Requests are recorded (`server.requests`) so tests can count calls and read
the messages.

Use the `fake_openai` fixture (import it into a test module), or
`with FakeOpenAI() as server:` in scripts such as `bench/llm_concurrency.py`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

#: Prompt/completion token counts the fake reports per call (fixed, so tests can assert sums).
PROMPT_TOKENS = 100
COMPLETION_TOKENS = 20


@dataclass
class Behaviour:
    """What the fake does with one request."""

    kind: str  # "answer" | "status" | "junk" | "drop"
    payload: Any = None  # answer: a JSON-able object; junk: raw text
    delay: float = 0.0
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def answer(payload: Any, delay: float = 0.0) -> Behaviour:
    """A well-formed answer carrying `payload` as the structured output."""
    return Behaviour("answer", payload=payload, delay=delay)


def status(code: int, retry_after: float | None = None, message: str = "fake error") -> Behaviour:
    """An HTTP error response in OpenAI's error shape (429 with `Retry-After`, 500, 401 …)."""
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return Behaviour("status", payload=message, status=code, headers=headers)


def junk(text: str = '{"projects": [{"name": "截断') -> Behaviour:
    """A 200 answer whose structured output is not valid JSON (truncated)."""
    return Behaviour("junk", payload=text)


def drop() -> Behaviour:
    """Close the connection without answering (a connection error for the client)."""
    return Behaviour("drop")


@dataclass
class RecordedRequest:
    """One request as received; header names lower-cased."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.body.get("messages", [])
        return messages

    @property
    def text(self) -> str:
        """All message contents joined, for `in` assertions."""
        return "\n".join(str(message.get("content") or "") for message in self.messages)


def _empty_answer(_request: dict[str, Any]) -> Behaviour:
    return answer({"projects": [], "indicators": [], "breakdowns": []})


class FakeOpenAI:
    """The server. Start/stop with `with`, or `start()`/`stop()`."""

    def __init__(self, responder: Callable[[dict[str, Any]], Behaviour] | None = None) -> None:
        self.responder = responder or _empty_answer
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------
    def push(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def _next(self, body: dict[str, Any]) -> Behaviour:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return self.responder(body)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)

    # -- lifecycle -------------------------------------------------------
    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY, Nagle + delayed ACK
            # add ~40 ms to every response.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # silence stderr
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {}
                with fake._lock:
                    fake.requests.append(
                        RecordedRequest(
                            self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()
                        )
                    )
                behaviour = fake._next(body)
                if behaviour.delay:
                    time.sleep(behaviour.delay)
                if behaviour.kind == "drop":
                    self.close_connection = True
                    return
                if behaviour.kind == "status":
                    payload = {"error": {"message": behaviour.payload, "type": "fake", "code": None}}
                    self._send(behaviour.status, payload, behaviour.headers)
                    return
                content = (
                    behaviour.payload
                    if behaviour.kind == "junk"
                    else json.dumps(behaviour.payload, ensure_ascii=False)
                )
                self._send(200, completion(body, content), behaviour.headers)

            def _send(self, code: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = False
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def completion(request: dict[str, Any], content: str) -> dict[str, Any]:
    """A chat.completion object in the shape the request's instructor mode expects."""
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish_reason = "stop"
    tools = request.get("tools") or []
    if tools:
        choice = request.get("tool_choice")
        name = (
            choice["function"]["name"]
            if isinstance(choice, dict) and "function" in choice
            else tools[0]["function"]["name"]
        )
        message["tool_calls"] = [
            {"id": "call_fake_1", "type": "function", "function": {"name": name, "arguments": content}}
        ]
        finish_reason = "tool_calls"
    else:
        wants_block = any("```json" in str(m.get("content") or "") for m in request.get("messages", []))
        message["content"] = f"```json\n{content}\n```" if wants_block else content
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake-model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        },
    }


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running fake server, stopped (and every socket closed) after the test."""
    with FakeOpenAI() as server:
        yield server
