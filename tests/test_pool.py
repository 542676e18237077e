"""Worker processes: `--jobs 2` stores exactly what `--jobs 1` stores; a dying worker fails one document."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pipeline.run
from pipeline.pool import WorkerFailure, WorkerPool
from pipeline.run import run
from pipeline.settings import Settings, load_settings
from pipeline.store import Store
from schemas import DocumentStatus

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (REPO / "samples").iterdir() if p.suffix in {".txt", ".docx", ".pdf"})


def _settings(tmp_path: Path, name: str) -> Settings:
    return load_settings(db_path=tmp_path / f"{name}.db", out_dir=tmp_path / f"{name}-out", backend="rules")


def _stored(store: Store) -> dict[str, Any]:
    """Everything a run leaves per document, without run ids and times."""
    facts = store.connection.execute(
        "SELECT path, seq, document_sha, kind, subject, key, value, unit, text, span_start, span_end, source "
        "FROM facts ORDER BY path, seq"
    ).fetchall()
    flags = store.connection.execute(
        'SELECT path, key, rule, severity, subject, message, "values", spans, status FROM flags ORDER BY path, key'
    ).fetchall()
    documents = store.connection.execute(
        "SELECT path, name, sha256, size, status, error, backend, summary FROM documents ORDER BY path"
    ).fetchall()
    return {
        "facts": [tuple(row) for row in facts],
        "flags": [tuple(row) for row in flags],
        "documents": [tuple(row) for row in documents],
    }


def test_jobs_2_stores_exactly_what_jobs_1_stores(tmp_path: Path) -> None:
    one, two = _settings(tmp_path, "one"), _settings(tmp_path, "two")
    with Store(one.db_path) as store:
        first = run(SAMPLES, one, store, jobs=1)
        serial = _stored(store)
    with Store(two.db_path) as store:
        second = run(SAMPLES, two, store, jobs=2)
        parallel = _stored(store)
    assert serial == parallel
    assert len(serial["facts"]) > 100 and len(serial["documents"]) == len(SAMPLES)
    assert [d.model_dump() for d in first.documents] == [d.model_dump() for d in second.documents]
    for written in sorted(one.out_dir.glob("*.json")):
        assert json.loads(written.read_text()) == json.loads((two.out_dir / written.name).read_text())


def _die_on_crash_file(path: Path, *args: Any, **kwargs: Any) -> Any:
    if path.name == "crash.txt":
        os._exit(3)
    return _real_process(path, *args, **kwargs)


_real_process = pipeline.run.process_path_detailed


def test_a_dying_worker_fails_one_document_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for sample in SAMPLES[:3]:
        shutil.copy(sample, docs / sample.name)
    shutil.copy(SAMPLES[0], docs / "crash.txt")
    # forked workers inherit the patched module: the worker reading crash.txt exits mid-document
    monkeypatch.setattr(pipeline.run, "process_path_detailed", _die_on_crash_file)
    settings = _settings(tmp_path, "crash")
    with Store(settings.db_path) as store:
        summary = run([docs], settings, store, jobs=2)
        statuses = {d.document: d.status for d in summary.documents}
        assert statuses.pop("crash.txt") is DocumentStatus.FAILED
        assert set(statuses.values()) == {DocumentStatus.OK} and len(statuses) == 3
        (failed,) = summary.failed
        assert failed.error == "crash.txt: the worker process died (exit code 3)"
        assert "\n" not in failed.error
        record = store.get_run(summary.run_id or 0)
        assert (record.counts.ok, record.counts.failed) == (3, 1)


def _square_or_fail(n: int) -> int:
    if n == 3:
        raise ValueError("three is refused")
    if n == 5:
        os._exit(1)
    return n * n


def test_pool_streams_results_with_a_bounded_number_in_flight() -> None:
    taken: list[int] = []

    def items() -> Iterator[int]:
        for n in range(8):
            taken.append(n)
            yield n

    seen: dict[int, int | WorkerFailure] = {}
    with WorkerPool(_square_or_fail, 2) as pool:
        for item, outcome in pool.imap_unordered(items()):
            # never more than the two workers' items handed out beyond what has come back
            assert len(taken) - len(seen) <= 2
            seen[item] = outcome
    assert seen[3] == WorkerFailure("ValueError: three is refused")
    assert seen[5] == WorkerFailure("the worker process died (exit code 1)")
    assert {n: v for n, v in seen.items() if n not in (3, 5)} == {n: n * n for n in (0, 1, 2, 4, 6, 7)}
