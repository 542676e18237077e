"""The LLM backend end to end against a real HTTP server on 127.0.0.1 (tests/fake_openai.py).

The real openai client, instructor and recon's retry, cache, grounding and
merge code run; only the model is scripted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fake_openai import COMPLETION_TOKENS, PROMPT_TOKENS, Behaviour, FakeOpenAI, answer, drop, junk, status
from pydantic import SecretStr

import pipeline.extract.model.llm as llm
from pipeline.errors import ConfigError
from pipeline.extract.model.backend import (
    MemoryCache,
    cache_key,
    extract_document,
    extract_document_detailed,
    reread_flagged,
)
from pipeline.extract.model.llm import RateLimiter, is_retryable, retry_after_seconds
from pipeline.settings import Settings
from prompts import extract_prompt
from schemas import Chunk, Document, DocumentFormat, FactKey, OffsetMap

PROJECT_TEXT = (
    "3、项目“2023年基层医疗机构专项”年初预算金额225万元，年中调增上级转移支付9.05万元，"
    "实际支出228.65万元，2023年结余结转5.4万元。\n"
    "（1）2023年行政村卫生室运行项目支出0万元，其中年初预算金额1.35万元，年中调增上级转移支付4.05万元，结余结转5.4万元。\n"
    "（2）2023年三支一扶项目支出28万元，其中年初预算金额23万元，年中调增上级转移支付5万元，结余结转0万元。\n"
    "（3）2023年社区卫生服务中心补差项目支出200.65万元，其中年初预算金额200.65万元，结余结转0万元。\n"
)
INDICATOR_TEXT = "65岁以上老年人健康管理指标值59000人，完成59174人，完成率100.3%。\n"

PARENT = "2023年基层医疗机构专项"
GOOD_ANSWER: dict[str, Any] = {
    "projects": [
        {
            "name": PARENT,
            "budget_initial": "225万元",
            "transfer_in": "9.05万元",
            "spent": "228.65万元",
            "carryover_out": "5.4万元",
        },
        {
            "name": "2023年行政村卫生室运行项目",
            "parent": PARENT,
            "budget_initial": "1.35万元",
            "transfer_in": "4.05万元",
            "spent": "0万元",
            "carryover_out": "5.4万元",
        },
        {
            "name": "2023年三支一扶项目",
            "parent": PARENT,
            "budget_initial": "23万元",
            "transfer_in": "5万元",
            "spent": "28万元",
            "carryover_out": "0万元",
        },
        {
            "name": "2023年社区卫生服务中心补差项目",
            "parent": PARENT,
            "budget_initial": "200.65万元",
            "spent": "200.65万元",
            "carryover_out": "0万元",
        },
    ]
}


def make_document(*pieces: str) -> tuple[Document, list[Chunk]]:
    """A document made of `pieces`, one chunk each (identity offset map)."""
    text = "".join(pieces)
    document = Document(
        path="/tmp/doc.txt",
        name="doc.txt",
        sha256="0" * 64,
        size=len(text.encode()),
        format=DocumentFormat.TXT,
        original_text=text,
        text=text,
        offsets=OffsetMap(to_original=list(range(len(text) + 1))),
    )
    chunks: list[Chunk] = []
    start = 0
    for index, piece in enumerate(pieces):
        chunks.append(
            Chunk(
                id=f"c{index}",
                document=document.name,
                index=index,
                start=start,
                end=start + len(piece),
                heading_path=["三、项目支出绩效情况", f"（{index + 1}）小节"],
                text=piece,
            )
        )
        start += len(piece)
    return document, chunks


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "BACKOFF_INITIAL_SECONDS", 0.01)


def settings_for(server: FakeOpenAI, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "model": "fake-model",
        "api_key": SecretStr("sk-test-not-real"),
        "max_retries": 1,
        "transport_retries": 2,
        "timeout_seconds": 5.0,
        "concurrency": 4,
        "requests_per_minute": 60_000,
    }
    values.update(overrides)
    return Settings(**values)


def test_tools_mode_answer_is_grounded_in_the_original_text(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT)
    server.push(answer(GOOD_ANSWER))
    extraction, accounting = extract_document(document, chunks, settings_for(server))

    assert [p.name for p in extraction.projects] == [p["name"] for p in GOOD_ANSWER["projects"]]
    parent, first, child, last = extraction.projects
    assert {p.parent for p in (first, child, last)} == {parent.name}
    # Two 5.4s in the chunk: each project gets the one in its own sentence.
    assert parent.facts[FactKey.CARRYOVER_OUT][0].span != first.facts[FactKey.CARRYOVER_OUT][0].span
    # 200.65 twice in one sentence: spent (支出200.65) and budget_initial (年初预算金额200.65).
    assert last.facts[FactKey.SPENT][0].span.start < last.facts[FactKey.BUDGET_INITIAL][0].span.start
    assert parent.source == "llm" and parent.chunk_id == "c0"
    for project in extraction.projects:
        for numbers in project.facts.values():
            for number in numbers:
                assert document.original_text[number.span.start : number.span.end] == number.text
                assert number.unit == "万元"
    # The "5" of 转移支付5万元 — not the 5 of "5.4" or any other 5 in the chunk.
    (transfer,) = child.facts[FactKey.TRANSFER_IN]
    assert PROJECT_TEXT[transfer.span.start - 4 : transfer.span.end + 2] == "转移支付5万元"
    assert str(parent.facts[FactKey.SPENT][0].value) == "228.65"
    assert FactKey.CARRYOVER_IN not in parent.facts  # not stated is not zero

    assert accounting.calls == 1 and accounting.retries == 0 and accounting.failed_chunks == 0
    assert accounting.prompt_tokens == PROMPT_TOKENS and accounting.completion_tokens == COMPLETION_TOKENS
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-not-real"
    assert request.body["model"] == "fake-model" and request.body["temperature"] == 0
    assert request.body["tool_choice"]["function"]["name"] == request.body["tools"][0]["function"]["name"]
    assert "三、项目支出绩效情况 > （1）小节" in request.text  # heading path as context
    assert "年初预算" in request.messages[0]["content"] and PROJECT_TEXT.strip() in request.text


@pytest.mark.parametrize(
    ("mode", "response_format"),
    [
        ("json", {"type": "json_object"}),
        ("md_json", None),
        ("json_schema", "json_schema"),
        ("json_object_schema", "json_object+schema"),
    ],
)
def test_json_modes_send_the_documented_request_shapes(
    server: FakeOpenAI, mode: str, response_format: Any
) -> None:
    document, chunks = make_document(PROJECT_TEXT)
    server.push(answer(GOOD_ANSWER))
    extraction, _ = extract_document(document, chunks, settings_for(server, instructor_mode=mode))

    assert len(extraction.projects) == 4
    body = server.requests[0].body
    assert "tools" not in body
    sent = body.get("response_format")
    if response_format is None:
        assert sent is None
        assert "```json" in server.requests[0].text
    elif response_format == "json_schema":
        assert sent["type"] == "json_schema" and "projects" in json.dumps(sent["json_schema"])
    elif response_format == "json_object+schema":
        # llama.cpp: json_object with a schema is grammar-enforced; json_schema is refused there.
        assert sent["type"] == "json_object"
        assert set(sent["schema"]["properties"]) == {"projects", "indicators", "breakdowns"}
    else:
        assert sent == response_format


def test_server_error_is_retried_with_backoff(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT)
    server.push(status(500), status(503), answer(GOOD_ANSWER))
    result = extract_document_detailed(document, chunks, settings_for(server))
    assert result.failures == []
    assert server.calls == 3
    assert result.accounting.calls == 3 and result.accounting.retries == 2
    assert len(result.extraction.projects) == 4


def test_dropped_connection_is_retried(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT)
    server.push(drop(), answer(GOOD_ANSWER))
    result = extract_document_detailed(document, chunks, settings_for(server))
    assert server.calls == 2 and result.failures == []


def test_retry_after_is_honoured(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT)
    server.push(status(429, retry_after=1), answer(GOOD_ANSWER))
    started = time.monotonic()
    result = extract_document_detailed(document, chunks, settings_for(server))
    assert result.failures == [] and server.calls == 2
    gap = server.requests[1].received - server.requests[0].received
    assert gap >= 0.95, f"second request {gap:.2f}s after the 429, Retry-After said 1 s"
    assert time.monotonic() - started < 5


def test_401_is_not_retried_and_stops_the_run(server: FakeOpenAI) -> None:
    document, chunks = make_document(*(PROJECT_TEXT for _ in range(6)))
    server.responder = lambda _request: status(401, message="invalid api key")
    result = extract_document_detailed(document, chunks, settings_for(server, concurrency=1))
    assert server.calls == 1, "a 401 must be neither retried nor repeated for other chunks"
    assert result.accounting.failed_chunks == 6 and len(result.failures) == 6
    assert "401" in result.failures[0].reason and result.failures[0].attempts == 1
    assert all("not sent" in f.reason for f in result.failures[1:])
    assert result.extraction.projects == []


def test_invalid_json_is_re_asked_with_a_fresh_message_list(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT)
    server.push(junk(), answer(GOOD_ANSWER))
    result = extract_document_detailed(document, chunks, settings_for(server, max_retries=1))
    assert result.failures == [] and server.calls == 2
    assert result.accounting.retries == 1
    first, second = server.requests
    assert len(first.messages) == 2
    assert len(second.messages) > len(first.messages)
    assert "Validation Error" in second.text or "fix the errors" in second.text.lower()

    # A second extraction starts from two messages again: nothing leaked into shared state.
    server.push(answer(GOOD_ANSWER))
    extract_document_detailed(document, chunks, settings_for(server))
    assert len(server.requests[2].messages) == 2


def test_validation_failures_exhaust_into_a_failed_chunk(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT, INDICATOR_TEXT)
    indicator = {"indicators": [{"name": "65岁以上老年人健康管理", "target": "59000人", "actual": "59174人"}]}

    def responder(request: dict[str, Any]) -> Behaviour:
        return junk() if "（1）小节" in request["messages"][1]["content"] else answer(indicator)

    server.responder = responder
    result = extract_document_detailed(document, chunks, settings_for(server, max_retries=1))
    assert [f.chunk_id for f in result.failures] == ["c0"]
    assert result.accounting.failed_chunks == 1
    assert [i.name for i in result.extraction.indicators] == ["65岁以上老年人健康管理"]


def test_a_number_not_in_the_chunk_is_rejected_and_counted(
    server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    document, chunks = make_document(PROJECT_TEXT)
    invented = json.loads(json.dumps(GOOD_ANSWER))
    invented["projects"][0]["carryover_in"] = "100.19万元"  # stated in another part of the report, not here
    server.push(answer(invented))
    extraction, accounting = extract_document(document, chunks, settings_for(server))
    assert accounting.ungrounded == 1 and extraction.ungrounded == 1
    assert FactKey.CARRYOVER_IN not in extraction.projects[0].facts
    assert any("c0" in r.getMessage() and "100.19" in r.getMessage() for r in caplog.records)


def test_transport_exhaustion_fails_the_chunk_and_a_rerun_asks_only_for_it(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT, INDICATOR_TEXT)
    settings = settings_for(server, concurrency=1, transport_retries=2)
    cache = MemoryCache()
    server.push(answer(GOOD_ANSWER), status(500), status(500), status(500))
    first = extract_document_detailed(document, chunks, settings, cache)
    assert server.calls == 4
    assert [(f.chunk_id, f.attempts) for f in first.failures] == [("c1", 3)]
    assert "HTTP 500" in first.failures[0].reason
    assert first.accounting.failed_chunks == 1 and len(first.extraction.projects) == 4

    server.push(answer({"indicators": [{"name": "65岁以上老年人健康管理", "actual": "59174人"}]}))
    second = extract_document_detailed(document, chunks, settings, cache)
    assert server.calls == 5, "only the failed chunk goes to the model again"
    assert second.accounting.cache_hits == 1 and second.failures == []
    assert second.sent_chunks == ["c1"]
    assert len(second.extraction.indicators) == 1 and len(second.extraction.projects) == 4


def test_unchanged_document_rerun_makes_zero_calls(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT, INDICATOR_TEXT)
    cache = MemoryCache()
    server.responder = lambda _request: answer(GOOD_ANSWER)
    first, _ = extract_document(document, chunks, settings_for(server), cache)
    calls = server.calls
    assert calls == 2 and len(cache) == 2
    second, accounting = extract_document(document, chunks, settings_for(server), cache)
    assert server.calls == calls
    assert accounting.calls == 0 and accounting.cache_hits == 2
    assert second == first
    # Another model, prompt or mode is another key.
    keys = {
        cache_key(chunks[0], settings_for(server), extract_prompt()),
        cache_key(chunks[0], settings_for(server, model="other"), extract_prompt()),
        cache_key(chunks[0], settings_for(server, instructor_mode="json"), extract_prompt()),
    }
    assert len(keys) == 3


def test_only_chunks_sends_only_those(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT, INDICATOR_TEXT)
    server.responder = lambda _request: answer({"projects": []})
    result = extract_document_detailed(document, chunks, settings_for(server), only_chunks={"c1"})
    assert server.calls == 1 and result.sent_chunks == ["c1"]
    chunk_message = server.requests[0].messages[-1]["content"]
    assert "59174" in chunk_message and "228.65" not in chunk_message


def test_timeout_is_retried(server: FakeOpenAI) -> None:
    document, chunks = make_document(PROJECT_TEXT)
    server.push(answer(GOOD_ANSWER, delay=1.0), answer(GOOD_ANSWER))
    result = extract_document_detailed(document, chunks, settings_for(server, timeout_seconds=0.3))
    assert result.failures == [] and server.calls == 2 and result.accounting.retries == 1


def test_chunks_run_concurrently(server: FakeOpenAI) -> None:
    n_chunks, latency, concurrency = 8, 0.4, 4
    document, chunks = make_document(*(f"{i}、项目支出{i}.5万元。\n" for i in range(n_chunks)))
    extract_document(document, chunks[:1], settings_for(server))  # one-off import/setup costs, not timed
    server.responder = lambda _request: answer({"projects": []}, delay=latency)
    started = time.monotonic()
    result = extract_document_detailed(document, chunks, settings_for(server, concurrency=concurrency))
    wall = time.monotonic() - started
    assert server.calls == n_chunks + 1 and result.failures == []
    assert wall < 0.6 * n_chunks * latency, f"{wall:.2f}s for {n_chunks}×{latency}s at concurrency 4"
    assert wall >= n_chunks * latency / concurrency * 0.9


def test_requests_per_minute_spaces_request_starts(server: FakeOpenAI) -> None:
    document, chunks = make_document(*(f"{i}、项目支出{i}万元。\n" for i in range(4)))
    result = extract_document_detailed(
        document, chunks, settings_for(server, concurrency=4, requests_per_minute=300)
    )
    assert result.failures == []
    starts = sorted(r.received for r in server.requests)
    # 300/min = one start per 0.2 s (the first request also opens the connection, so count from the 2nd)
    assert starts[-1] - starts[1] >= 2 * 0.2 * 0.9


def test_rate_limiter_with_a_fake_clock() -> None:
    now = [100.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert limiter.acquire() == 0
    limiter_next = RateLimiter(6000, clock=lambda: now[0])
    limiter_next.acquire()
    assert 0.0099 < limiter_next.acquire() < 0.0101


def test_retry_predicate_and_retry_after_parsing(server: FakeOpenAI) -> None:
    import openai

    def status_error(code: int, headers: dict[str, str]) -> openai.APIStatusError:
        client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        try:
            server.push(Behaviour("status", payload="x", status=code, headers=headers))
            try:
                client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
            except openai.APIStatusError as exc:
                return exc
        finally:
            client.close()
        raise AssertionError("expected an error status")

    assert not is_retryable(status_error(401, {}))
    assert not is_retryable(status_error(400, {}))
    assert is_retryable(status_error(502, {}))
    rate_limited = status_error(429, {"Retry-After": "2"})
    assert is_retryable(rate_limited) and retry_after_seconds(rate_limited) == 2.0
    assert retry_after_seconds(status_error(429, {"retry-after-ms": "250"})) == 0.25


def test_missing_configuration_is_a_config_error() -> None:
    document, chunks = make_document(PROJECT_TEXT)
    with pytest.raises(ConfigError):
        extract_document(document, chunks, Settings())


# -- re-read --------------------------------------------------------------------------------------


def _misread() -> dict[str, Any]:
    """The model read the parent's 225万元 (its initial budget) as its spending too."""
    wrong = json.loads(json.dumps(GOOD_ANSWER))
    wrong["projects"][0]["spent"] = "225万元"
    return wrong


def test_reread_corrects_a_misread_number(server: FakeOpenAI) -> None:
    from pipeline.check.run import check

    document, chunks = make_document(PROJECT_TEXT)
    settings = settings_for(server)
    server.push(answer(_misread()))
    extraction, _ = extract_document(document, chunks, settings)
    report = check(extraction)
    assert any(f.subject == PARENT for f in report.flags), report.flags

    server.push(answer(GOOD_ANSWER))
    corrected, corrections, accounting = reread_flagged(document, chunks, extraction, report, settings, check)
    assert accounting.calls == 1
    reread_request = server.requests[-1]
    assert "228.65" in reread_request.text and "spent=225万元" in reread_request.text  # the quoted numbers
    assert corrections and all(c.outcome == "corrected" for c in corrections), corrections
    assert {c.flag_key for c in corrections} <= {f.key for f in report.flags}
    assert str(corrected.projects[0].facts[FactKey.SPENT][0].value) == "228.65"
    assert not check(corrected).flags


def test_reread_confirming_the_same_numbers_keeps_the_flag(server: FakeOpenAI) -> None:
    from pipeline.check.run import check

    document, chunks = make_document(PROJECT_TEXT)
    settings = settings_for(server)
    server.push(answer(_misread()))
    extraction, _ = extract_document(document, chunks, settings)
    report = check(extraction)
    server.push(answer(_misread()))
    kept, corrections, _ = reread_flagged(document, chunks, extraction, report, settings, check)
    assert corrections and all(c.outcome == "confirmed" for c in corrections)
    assert kept == extraction
    assert {c.flag_key for c in corrections} <= {f.key for f in report.flags}


def test_reread_ignores_flags_on_rule_extracted_numbers(server: FakeOpenAI) -> None:
    from pipeline.check.run import check

    document, chunks = make_document(PROJECT_TEXT)
    settings = settings_for(server)
    server.push(answer(_misread()))
    extraction, _ = extract_document(document, chunks, settings)
    as_rules = extraction.model_copy(
        update={"projects": [p.model_copy(update={"source": "rules"}) for p in extraction.projects]}
    )
    calls = server.calls
    _, corrections, accounting = reread_flagged(document, chunks, as_rules, check(as_rules), settings, check)
    assert corrections == [] and accounting.calls == 0 and server.calls == calls


def test_reread_that_fails_leaves_facts_and_says_why(server: FakeOpenAI) -> None:
    from pipeline.check.run import check

    document, chunks = make_document(PROJECT_TEXT)
    settings = settings_for(server, transport_retries=1)
    server.push(answer(_misread()))
    extraction, _ = extract_document(document, chunks, settings)
    report = check(extraction)
    server.push(status(500), status(500))
    kept, corrections, accounting = reread_flagged(document, chunks, extraction, report, settings, check)
    assert kept == extraction
    assert corrections and all(c.outcome == "unresolved" and "HTTP 500" in c.note for c in corrections)
    assert accounting.failed_chunks == 1 and accounting.calls == 2


def test_cache_key_tells_models_apart_beyond_their_name(tmp_path: Any) -> None:
    """The local server always names its model by one alias; the GGUF file must count."""
    from pipeline.extract.model.backend import cache_key

    chunk = Chunk(id="c@0", document="d.txt", index=0, start=0, end=4, text="支出5万元")
    small = tmp_path / "small.gguf"
    large = tmp_path / "large.gguf"
    small.write_bytes(b"x" * 10)
    large.write_bytes(b"x" * 20)
    prompt = extract_prompt()

    def key(**settings: Any) -> str:
        return cache_key(chunk, Settings(model="recon-local", **settings), prompt)

    assert key(model_path=small, base_url="http://127.0.0.1:1/v1") != key(
        model_path=large, base_url="http://127.0.0.1:1/v1"
    )
    assert key(model_path=small, base_url="http://127.0.0.1:1/v1") == key(
        model_path=small, base_url="http://127.0.0.1:2/v1"
    )
    assert key(base_url="http://a.example/v1") != key(base_url="http://b.example/v1")


def test_requests_bound_the_answer_and_end_with_the_instruction(server: FakeOpenAI) -> None:
    """A small model needs the request after the chunk; a looping one must not fill the context."""
    from pipeline.extract.model.backend import extract_document

    text = "项目“甲”年初预算10万元，实际支出10万元。"
    document = Document(
        path="d.txt",
        name="d.txt",
        sha256="0" * 64,
        size=len(text),
        format=DocumentFormat.TXT,
        original_text=text,
        text=text,
        offsets=OffsetMap(to_original=list(range(len(text) + 1))),
    )
    chunk = Chunk(id="c@0", document="d.txt", index=0, start=0, end=len(text), text=text)
    settings = Settings(base_url=server.base_url, model="fake", max_output_tokens=777)
    extract_document(document, [chunk], settings)
    request = server.requests[-1]
    assert request.body["max_tokens"] == 777
    last_user = [m for m in request.messages if m.get("role") == "user"][-1]["content"]
    assert str(last_user).rstrip().endswith("answer with JSON only.)")
    assert "</chunk>" in str(last_user)
