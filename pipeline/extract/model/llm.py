"""The only module that talks to `openai` and `instructor`.

Layers of retry, each with one job:

* **transport** (tenacity, here): timeouts, connection errors, 408/409/429
  and 5xx are retried with exponential backoff and jitter; a `Retry-After`
  (or `retry-after-ms`) header is honoured. 400/401/403/404/422 are never
  retried: the request or the key is wrong and asking again cannot help. The
  openai client's own retries are disabled (`max_retries=0`) so this is the
  only transport retry layer.
* **validation** (instructor): a response that is not valid JSON or does not
  fit the response model is re-asked up to `settings.max_retries` times.
  Instructor appends the re-ask to the message list it is given, so every
  call here builds a fresh list.

Every HTTP attempt passes a requests-per-minute limiter shared by all threads
of one `LLMClient`. Usage (`prompt_tokens`, `completion_tokens`) is read
from each response's `usage`. Failures come out as `ExtractionError` with the
reason and the number of attempts; openai/instructor exceptions never leave
this module.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorError, InstructorRetryException
from pydantic import BaseModel
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from pipeline.errors import ConfigError, ExtractionError
from pipeline.settings import InstructorModeName, Settings

logger = logging.getLogger(__name__)

ResponseT = TypeVar("ResponseT", bound=BaseModel)

#: First backoff delay in seconds (doubled per attempt, plus up to as much jitter).
BACKOFF_INITIAL_SECONDS = 1.0
#: Longest backoff between two transport attempts.
BACKOFF_MAX_SECONDS = 30.0
#: Longest `Retry-After` honoured; a server asking for more gets this.
RETRY_AFTER_MAX_SECONDS = 120.0
#: HTTP statuses worth another try: timeout, conflict, rate limit, server errors.
RETRYABLE_STATUSES = frozenset({408, 409, 429})

_MODES: dict[InstructorModeName, instructor.Mode] = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
    "json_object_schema": instructor.Mode.JSON,
}


def instructor_mode(name: InstructorModeName) -> instructor.Mode:
    """The instructor mode for a setting value (`json_object_schema` is JSON plus a schema, see below)."""
    try:
        return _MODES[name]
    except KeyError as exc:
        raise ConfigError(f"unknown instructor mode {name!r}; use one of {', '.join(_MODES)}") from exc


def extra_body_for(name: InstructorModeName, response_model: type[BaseModel]) -> dict[str, Any] | None:
    """Extra request body for a mode: `json_object_schema` sends the model's JSON schema.

    llama.cpp's server takes `response_format: {"type": "json_object", "schema": …}`
    and enforces the schema with a grammar; it rejects `json_schema` (HTTP 500).
    """
    if name == "json_object_schema":
        return {"response_format": {"type": "json_object", "schema": _json_schema(response_model)}}
    return None


@functools.cache
def _json_schema(response_model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema, built once (it is sent with every request in this mode)."""
    return response_model.model_json_schema()


def is_retryable(exc: BaseException) -> bool:
    """Transport faults worth another try; never an authentication or request error."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUSES or exc.status_code >= 500
    return False


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The delay a server asked for (`retry-after-ms`, `Retry-After` seconds or HTTP date)."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(parsed.timestamp()) - time.time())


def _backoff(state: RetryCallState) -> float:
    """Retry-After when the server gave one, else exponential backoff with full jitter on top."""
    exc = state.outcome.exception() if state.outcome is not None else None
    asked = retry_after_seconds(exc)
    if asked is not None:
        return min(asked, RETRY_AFTER_MAX_SECONDS)
    base = min(BACKOFF_INITIAL_SECONDS * 2.0 ** (state.attempt_number - 1), BACKOFF_MAX_SECONDS)
    return base + random.uniform(0, BACKOFF_INITIAL_SECONDS)


@functools.cache
def _prepared(response_model: type[ResponseT]) -> type[ResponseT]:
    """The response model wrapped for instructor once, instead of on every call.

    Instructor wraps a plain model in a fresh `ResponseSchema` subclass per
    request, which defeats its own schema cache: the JSON schema is then
    rebuilt for every call, the bulk of a call's client-side cost. A model
    wrapped already is used as is. Answers are still instances of `response_model`.
    """
    wrapped: type[ResponseT] = instructor.response_schema(response_model)
    return wrapped


class RateLimiter:
    """Spaces request starts at least `60 / requests_per_minute` seconds apart, across threads."""

    def __init__(self, requests_per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 60.0 / requests_per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def acquire(self) -> float:
        """Wait for this request's slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        delay = slot - now
        if delay > 0:
            time.sleep(delay)
        return delay


@dataclass
class CallStats:
    """What one structured call cost: HTTP attempts, retries of both kinds, tokens."""

    calls: int = 0
    transport_retries: int = 0
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return self.transport_retries + self.reasks


@dataclass
class StructuredAnswer(Generic[ResponseT]):
    value: ResponseT
    stats: CallStats


#: Statuses that will fail for every chunk alike: bad key, no permission, unknown model or endpoint.
FATAL_STATUSES = frozenset({401, 403, 404})


class LLMCallError(ExtractionError):
    """A structured call that failed after all retries; carries what it cost.

    `fatal` is True when every other request would fail the same way (401,
    403, 404), so the caller should stop sending.
    """

    def __init__(
        self,
        chunk_id: str,
        reason: str,
        stats: CallStats,
        fatal: bool = False,
        last_answer: str | None = None,
    ) -> None:
        super().__init__(chunk_id, reason, attempts=stats.calls)
        self.stats = stats
        self.fatal = fatal
        #: the raw structured output of the last attempt when it failed validation (else None)
        self.last_answer = last_answer


def _raw_output(completion: Any) -> str | None:
    """The structured output of a chat completion as text: the tool call's arguments, else the content."""
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        arguments = getattr(getattr(calls[0], "function", None), "arguments", None)
        return arguments if isinstance(arguments, str) else None
    content = getattr(message, "content", None)
    if not isinstance(content, str):
        return None
    fenced = content.strip()
    if fenced.startswith("```"):
        fenced = fenced.split("\n", 1)[-1].rsplit("```", 1)[0]
    return fenced


def _describe(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} ({type(exc).__name__})"
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return f"connection error ({exc.__cause__ or exc})"
    return f"{type(exc).__name__}: {exc}"


class LLMClient:
    """An OpenAI-compatible client with recon's retry, rate-limit and mode policy. Close it after use."""

    def __init__(self, settings: Settings, *, rate_limiter: RateLimiter | None = None) -> None:
        settings.require_llm()
        assert settings.model is not None  # narrowed by require_llm
        self.settings = settings
        self.model: str = settings.model
        self.mode_name: InstructorModeName = settings.instructor_mode
        self.mode = instructor_mode(settings.instructor_mode)
        self.rate_limiter = rate_limiter or RateLimiter(settings.requests_per_minute)
        api_key = settings.api_key.get_secret_value() if settings.api_key is not None else None
        # Local servers (llama.cpp, vLLM, Ollama) need no key, but the client insists on one.
        self._client = openai.OpenAI(
            base_url=settings.base_url,
            api_key=api_key or "not-needed",
            timeout=settings.timeout_seconds,
            max_retries=0,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _transport(self, stats: CallStats) -> Callable[..., Any]:
        """`chat.completions.create` behind the rate limiter and tenacity, counting into `stats`."""

        def count_retry(state: RetryCallState) -> None:
            stats.transport_retries += 1
            exc = state.outcome.exception() if state.outcome is not None else None
            if exc is not None:
                stats.errors.append(_describe(exc))
                logger.info("transport retry %d after %s", state.attempt_number, _describe(exc))

        def create(*args: Any, **kwargs: Any) -> Any:
            retrying = Retrying(
                retry=retry_if_exception(is_retryable),
                stop=stop_after_attempt(self.settings.transport_retries + 1),
                wait=_backoff,
                before_sleep=count_retry,
                reraise=True,
            )
            for attempt in retrying:
                with attempt:
                    self.rate_limiter.acquire()
                    stats.calls += 1
                    response = self._client.chat.completions.create(*args, **kwargs)
            usage = getattr(response, "usage", None)
            if usage is not None:
                stats.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
                stats.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
            return response

        return create

    def structured(
        self,
        messages: list[dict[str, str]],
        response_model: type[ResponseT],
        *,
        chunk_id: str,
        context: dict[str, Any] | None = None,
    ) -> StructuredAnswer[ResponseT]:
        """Ask for `response_model`; raises `ExtractionError` (with attempts) when all retries fail.

        `context` is pydantic's validation context for the answer (the chunk's candidate ids), so a
        validator can refuse an answer that does not fit the chunk and instructor re-asks with its
        message.
        """
        stats = CallStats()
        create = instructor.patch(create=self._transport(stats), mode=self.mode)
        request: dict[str, Any] = {
            "model": self.model,
            # A fresh copy: instructor appends re-asks to the list it is given.
            "messages": [dict(message) for message in messages],
            "temperature": 0,
            # bounded: a looping small model would otherwise fill the context, and the re-ask
            # that appends its cut-off answer would not fit
            "max_tokens": self.settings.max_output_tokens,
        }
        extra_body = extra_body_for(self.mode_name, response_model)
        if extra_body is not None:
            request["extra_body"] = extra_body
        try:
            value = create(
                response_model=_prepared(response_model),
                max_retries=self.settings.max_retries,
                context=context,
                **request,
            )
        except InstructorRetryException as exc:
            cause = exc.__cause__ or exc
            failure = self._failure(chunk_id, stats, _describe(cause))
            failure.fatal = isinstance(cause, openai.APIStatusError) and cause.status_code in FATAL_STATUSES
            failure.last_answer = _raw_output(getattr(exc, "last_completion", None))
            raise failure from exc
        except IncompleteOutputException as exc:
            raise self._failure(chunk_id, stats, "output truncated (finish_reason=length)") from exc
        except (InstructorError, openai.OpenAIError) as exc:
            failure = self._failure(chunk_id, stats, _describe(exc))
            failure.fatal = isinstance(exc, openai.APIStatusError) and exc.status_code in FATAL_STATUSES
            raise failure from exc
        stats.reasks = self._reasks(stats)
        if not isinstance(value, response_model):
            raise self._failure(chunk_id, stats, f"unexpected response type {type(value).__name__}")
        return StructuredAnswer(value=value, stats=stats)

    @staticmethod
    def _reasks(stats: CallStats) -> int:
        """Instructor attempts beyond the first: HTTP calls that were not transport retries, minus one."""
        return max(0, stats.calls - stats.transport_retries - 1)

    def _failure(self, chunk_id: str, stats: CallStats, reason: str) -> LLMCallError:
        stats.reasks = self._reasks(stats)
        if stats.errors and reason not in stats.errors[-1:]:
            reason = f"{reason}; earlier: {', '.join(stats.errors[-3:])}"
        return LLMCallError(chunk_id, reason, stats)
