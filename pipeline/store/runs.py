"""The store's `runs` queries: record a run's start, end or abort; read runs back."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence

from pipeline.errors import StoreError
from pipeline.store.db import Database, utc_now
from schemas import Accounting
from schemas.stored import RunCounts, RunRecord, RunStatus


class RunQueries(Database):
    """Runs: one row per `recon run` (see `pipeline.store.migrations`)."""

    def begin_run(
        self, backend: str, model: str | None, prompt_version: str | None, argv: Sequence[str]
    ) -> int:
        """Record a new run; runs left `running` by a killed process are marked `aborted` first.

        Call it while holding the `RunLock`: then no other run can be live.
        """
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET status = ? WHERE status = ?",
                (RunStatus.ABORTED.value, RunStatus.RUNNING.value),
            )
            cursor = conn.execute(
                "INSERT INTO runs (started, backend, model, prompt_version, status, pid, argv) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    utc_now(),
                    backend,
                    model,
                    prompt_version,
                    RunStatus.RUNNING.value,
                    os.getpid(),
                    json.dumps(list(argv), ensure_ascii=False),
                ),
            )
            run_id = cursor.lastrowid
        if run_id is None:  # pragma: no cover - sqlite always sets it after INSERT
            raise StoreError("could not record the run")
        return run_id

    def finish_run(self, run_id: int, counts: RunCounts, accounting: Accounting) -> RunRecord:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET finished = ?, status = ?, counts = ?, accounting = ? WHERE id = ?",
                (
                    utc_now(),
                    RunStatus.FINISHED.value,
                    counts.model_dump_json(),
                    accounting.model_dump_json(),
                    run_id,
                ),
            )
        return self.get_run(run_id)

    def abort_run(self, run_id: int, counts: RunCounts) -> None:
        """Mark a run `aborted` (interrupted); the documents it stored stay stored."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, counts = ? WHERE id = ?",
                (RunStatus.ABORTED.value, counts.model_dump_json(), run_id),
            )

    def get_run(self, run_id: int) -> RunRecord:
        rows = self._query("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise StoreError(f"no run {run_id} in {self.db_path}")
        return _run_record(rows[0])

    def runs(self) -> list[RunRecord]:
        return [_run_record(row) for row in self._query("SELECT * FROM runs ORDER BY id")]

    def latest_run_id(self) -> int | None:
        """The newest run's id, or None when the store has no run."""
        rows = self._query("SELECT MAX(id) FROM runs")
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def run_accounting(self) -> dict[int, Accounting]:
        """The model usage recorded for each run, by run id."""
        rows = self._query("SELECT id, accounting FROM runs")
        return {int(row[0]): Accounting.model_validate_json(row[1] or "{}") for row in rows}


def _run_record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        started=row["started"],
        finished=row["finished"],
        backend=row["backend"],
        model=row["model"],
        prompt_version=row["prompt_version"],
        status=RunStatus(row["status"]),
        pid=row["pid"],
        argv=json.loads(row["argv"]),
        counts=RunCounts.model_validate_json(row["counts"]),
    )
