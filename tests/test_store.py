"""The store: idempotent migrations, one transaction per document, flags keyed for decisions."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.errors import StoreError
from pipeline.store import FlagFilter, FlagNotFoundError, RunLock, Store
from pipeline.store.migrations import MIGRATIONS
from schemas import (
    Accounting,
    CheckReport,
    DocumentExtraction,
    DocumentResult,
    DocumentStatus,
    FactKey,
    Flag,
    Project,
    Rule,
    Severity,
    Span,
    StatedNumber,
)
from schemas.stored import FlagStatus, RunCounts, RunStatus


def _number(text: str, start: int, unit: str = "万元") -> StatedNumber:
    return StatedNumber(
        text=text,
        normalized=text,
        value=Decimal(text),
        unit=unit,
        span=Span(start=start, end=start + len(text)),
    )


def _flag(stated: str, parts: list[str], severity: Severity = Severity.ERROR) -> Flag:
    return Flag(
        rule=Rule.FLOW_IDENTITY,
        severity=severity,
        subject="项目A",
        message="sources do not equal uses",
        equation=f"{stated} ≠ {' + '.join(parts)}",
        values=[stated, *parts],
        spans=[Span(start=0, end=len(stated))],
    )


def _result(path: str, sha: str, flags: list[Flag], budget: str = "225.00") -> DocumentResult:
    project = Project(
        name="项目A",
        unit="万元",
        facts={FactKey.BUDGET_TOTAL: [_number(budget, 10)], FactKey.SPENT: [_number("228.65", 30)]},
    )
    return DocumentResult(
        document=Path(path).name,
        path=path,
        sha256=sha,
        status=DocumentStatus.OK,
        backend="rules",
        extraction=DocumentExtraction(document=Path(path).name, projects=[project]),
        check=CheckReport(flags=flags),
    )


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    with Store(db) as store:
        assert store.migrations_applied == [fn.__name__ for fn in MIGRATIONS]
    with Store(db) as store:
        assert store.migrations_applied == []
        names = [row[0] for row in store.connection.execute("SELECT name FROM _migrations")]
        assert names == [fn.__name__ for fn in MIGRATIONS]
        assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_database_from_a_newer_recon_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m999_future', 'x')")
    conn.close()
    with pytest.raises(StoreError, match="newer recon"):
        Store(db)


def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable recon database"):
        Store(db)


def test_store_document_twice_does_not_duplicate(tmp_path: Path) -> None:
    with Store(tmp_path / "recon.db") as store:
        run_id = store.begin_run("rules", None, None, ["recon", "run"])
        result = _result("/docs/a.txt", "sha-a", [_flag("234.05", ["228.65", "5.4"])])
        first = store.store_document(run_id, result, "sha-a", 100)
        second = store.store_document(run_id, result, "sha-a", 100)
        assert (first.facts, first.flags, first.new_flags) == (2, 1, 1)
        assert (second.facts, second.flags, second.new_flags) == (2, 1, 0)
        assert store.count("facts") == 2
        assert store.count("flags") == 1
        values = {
            row["key"]: row["value"] for row in store.connection.execute("SELECT key, value FROM facts")
        }
        assert values == {"budget_total": "225.00", "spent": "228.65"}
        assert store.connection.execute("SELECT typeof(value) FROM facts").fetchone()[0] == "text"


def test_decision_survives_same_flag_and_reopens_on_new_numbers(tmp_path: Path) -> None:
    with Store(tmp_path / "recon.db") as store:
        run1 = store.begin_run("rules", None, None, [])
        store.store_document(
            run1, _result("/docs/a.txt", "sha-1", [_flag("234.05", ["228.65", "5.4"])]), "sha-1", 1
        )
        (flag,) = store.flags()
        decided = store.decide(flag.id, FlagStatus.DISMISSED, by="auditor", note="rounding")
        assert decided.status is FlagStatus.DISMISSED
        assert decided.decision is not None and decided.decision.by == "auditor"

        run2 = store.begin_run("rules", None, None, [])
        write = store.store_document(
            run2, _result("/docs/a.txt", "sha-1", [_flag("234.05", ["228.65", "5.4"])]), "sha-1", 1
        )
        (again,) = store.flags()
        assert again.id == flag.id
        assert again.status is FlagStatus.DISMISSED
        assert write.new_flags == 0

        run3 = store.begin_run("rules", None, None, [])
        write = store.store_document(
            run3, _result("/docs/a.txt", "sha-2", [_flag("234.06", ["228.65", "5.4"])]), "sha-2", 1
        )
        (changed,) = store.flags()
        assert changed.status is FlagStatus.OPEN
        assert changed.values == ["234.06", "228.65", "5.4"]
        assert write.new_by_severity == {Severity.ERROR: 1}
        assert store.flags(run_id=run3) == [changed]


def test_failed_document_keeps_previous_facts_and_flags(tmp_path: Path) -> None:
    with Store(tmp_path / "recon.db") as store:
        run1 = store.begin_run("rules", None, None, [])
        store.store_document(run1, _result("/docs/a.txt", "sha-1", [_flag("1", ["2"])]), "sha-1", 1)
        run2 = store.begin_run("rules", None, None, [])
        failed = DocumentResult(
            document="a.txt", path="/docs/a.txt", status=DocumentStatus.FAILED, error="a.txt: unreadable"
        )
        store.store_document(run2, failed, "sha-x", 1)
        document = store.get_document("/docs/a.txt")
        assert document is not None and document.status == "failed" and document.error == "a.txt: unreadable"
        assert store.count("facts") == 2 and store.count("flags") == 1
        last = store.last_result("/docs/a.txt")
        assert last is not None and last.sha256 == "sha-1"


def test_a_failing_transaction_leaves_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "recon.db") as store:
        run_id = store.begin_run("rules", None, None, [])
        with pytest.raises(RuntimeError), store.transaction() as conn:
            conn.execute(
                "INSERT INTO documents (path, name, status, updated) VALUES ('/x', 'x', 'ok', 'now')"
            )
            raise RuntimeError("killed mid-document")
        assert store.count("documents") == 0
        store.finish_run(run_id, RunCounts(documents=0), Accounting())


def test_runs_left_running_are_marked_aborted(tmp_path: Path) -> None:
    with Store(tmp_path / "recon.db") as store:
        killed = store.begin_run("rules", None, None, ["recon", "run", "x"])
        store.begin_run("rules", None, None, [])
        assert store.get_run(killed).status is RunStatus.ABORTED


def test_cache_roundtrip(tmp_path: Path) -> None:
    with Store(tmp_path / "recon.db") as store:
        assert store.get("k") is None
        store.put("k", "v1")
        store.put("k", "v2")
        assert store.get("k") == "v2"
        assert store.count("llm_cache") == 1


def test_run_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    with (
        RunLock(db),
        pytest.raises(StoreError, match=r"another recon run \(pid \d+\) holds the lock on recon.db since"),
    ):
        RunLock(db).acquire()
    with RunLock(db) as again:
        assert again.holder()["pid"] > 0


def test_sqlite_errors_come_out_as_store_errors(tmp_path: Path) -> None:
    with Store(tmp_path / "recon.db") as store:
        with pytest.raises(StoreError, match="cannot write"), store.transaction() as conn:
            conn.execute("INSERT INTO no_such_table VALUES (1)")
        assert not store.connection.in_transaction
        store.put("k", "v")  # the connection is usable afterwards
        assert store.get("k") == "v"


def _v1_database(db: Path) -> None:
    """A database as recon wrote it before `m002_latest_only`: two versions of one file, a second file."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    MIGRATIONS[0](conn)
    conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01T00:00:00+00:00')", (MIGRATIONS[0].__name__,))
    for run_id in (1, 2, 3):
        conn.execute("INSERT INTO runs (id, started, backend, status) VALUES (?, 'x', 'rules', 'finished')", (run_id,))
    rows = [
        (1, "/docs/a.txt", "old", DocumentStatus.OK, "225.00"),
        (2, "/docs/a.txt", "new", DocumentStatus.OK, "230.00"),
        (3, "/docs/a.txt", None, DocumentStatus.FAILED, None),
        (1, "/docs/b.txt", "bee", DocumentStatus.OK, "225.00"),
    ]
    for run_id, path, sha, status, budget in rows:
        if status is DocumentStatus.OK:
            result = _result(path, sha or "", [_flag("1", ["2"])], budget=budget or "0")
        else:
            result = DocumentResult(document="a.txt", path=path, status=status, error="a.txt: unreadable")
        conn.execute(
            "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, path, Path(path).name, sha, status.value, result.model_dump_json()),
        )
        for n, (kind, key) in enumerate([("project", "budget_total"), ("project", "spent")]):
            if sha is not None:
                conn.execute(
                    "INSERT INTO facts VALUES (?, ?, ?, ?, '项目A', ?, ?, '万元', ?, ?, ?, 'rules')",
                    (f"{sha}{n}", sha, run_id, kind, key, budget, budget, 10 * n, 10 * n + 6),
                )
    conn.execute(
        "INSERT INTO documents VALUES ('/docs/a.txt', 'a.txt', 'new', 10, 'failed', 'a.txt: unreadable', 3, 'x')"
    )
    conn.execute("INSERT INTO documents VALUES ('/docs/b.txt', 'b.txt', 'bee', 10, 'ok', NULL, 1, 'x')")
    conn.close()


def test_migration_002_keeps_latest_results_and_facts_per_document(tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    _v1_database(db)
    with Store(db) as store:
        assert store.migrations_applied == ["m002_corrections", "m003_latest_only"]
        kept = store.connection.execute("SELECT path, run_id, status FROM results ORDER BY path, run_id").fetchall()
        # a.txt: its latest (failed) result and its last good one; the oldest is gone
        assert [tuple(row) for row in kept] == [
            ("/docs/a.txt", 2, "ok"), ("/docs/a.txt", 3, "failed"), ("/docs/b.txt", 1, "ok"),
        ]
        facts = store.connection.execute("SELECT path, seq, document_sha, value FROM facts ORDER BY path, seq")
        # the old content's facts are dropped; the rest are keyed by path, in text order
        assert [tuple(row) for row in facts] == [
            ("/docs/a.txt", 0, "new", "230.00"), ("/docs/a.txt", 1, "new", "230.00"),
            ("/docs/b.txt", 0, "bee", "225.00"), ("/docs/b.txt", 1, "bee", "225.00"),
        ]
        # b.txt can be skipped by its hash alone; a.txt failed last, so it is not a candidate
        candidates = store.unchanged_candidates("rules")
        assert set(candidates) == {"/docs/b.txt"}
        assert candidates["/docs/b.txt"].sha256 == "bee" and candidates["/docs/b.txt"].summary.projects == 1
        assert store.unchanged_candidates("llm") == {}
    with Store(db) as store:
        assert store.migrations_applied == []


def test_store_keeps_only_the_latest_result_and_facts(tmp_path: Path) -> None:
    with Store(tmp_path / "recon.db") as store:
        for budget, sha in (("225.00", "s1"), ("226.00", "s2"), ("227.00", "s3")):
            run_id = store.begin_run("rules", None, None, [])
            store.store_document(run_id, _result("/docs/a.txt", sha, [], budget=budget), sha, 10)
        assert store.count("results") == 1
        assert {row[0] for row in store.connection.execute("SELECT value FROM facts WHERE key = 'budget_total'")} == {
            "227.00"
        }
        failed = DocumentResult(document="a.txt", path="/docs/a.txt", status=DocumentStatus.FAILED, error="a.txt: x")
        store.store_document(store.begin_run("rules", None, None, []), failed, None, None)
        # the failed result beside the last good one, whose facts stay
        assert [row[0] for row in store.connection.execute("SELECT status FROM results ORDER BY run_id")] == [
            "ok", "failed",
        ]
        assert store.count("facts") == 2


def test_one_flag_reader_newest_first_with_filters(tmp_path: Path) -> None:
    with Store(tmp_path / "recon.db") as store:
        run1 = store.begin_run("rules", None, None, [])
        store.store_document(run1, _result("/docs/a.txt", "sa", [_flag("1", ["2"])]), "sa", 1)
        run2 = store.begin_run("rules", None, None, [])
        warning = _flag("3", ["4"], Severity.WARNING)
        store.store_document(run2, _result("/docs/b.txt", "sb", [warning]), "sb", 1)
        every = store.flags()
        assert [f.document for f in every] == ["b.txt", "a.txt"]  # newest first
        assert [f.document for f in store.flags(run_id=run2)] == ["b.txt"]
        assert [f.document for f in store.flags(document="a.txt")] == ["a.txt"]
        assert store.get_flag(every[0].id) == every[0]

        assert [f.severity for f in store.flags(FlagFilter(severity=Severity.WARNING))] == [Severity.WARNING]
        with pytest.raises(FlagNotFoundError, match="no flag with id 999"):
            store.get_flag(999)


def test_no_reader_outside_the_store_holds_sql() -> None:
    """Review, export, report, eval and the web pages call the store's queries; none has SQL of its own."""
    root = Path(__file__).resolve().parent.parent / "pipeline"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "store" not in path.relative_to(root).parts
        and any(word in path.read_text(encoding="utf-8") for word in ("SELECT ", "INSERT INTO", "DELETE FROM"))
    ]
    assert offenders == []
