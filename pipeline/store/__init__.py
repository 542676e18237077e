"""The recon store: SQLite (stdlib `sqlite3`) in WAL mode with numbered migrations, split by concern.

- `db`: the connection, transactions and migrations on open (`migrations`: the tables);
- `runs`: one row per run;
- `results`: documents, their latest results and facts, written per document in one
  transaction (`Store.store_document`), so a process killed at any point leaves every
  document either fully stored or not at all;
- `flags`: current flags and reviewer decisions, and the one flag reader;
- `cache`: the model's response cache and the chunks to retry;
- `lock`: `RunLock`, the one-run-at-a-time guard (`fcntl.flock` on `<db>.lock`,
  released by the kernel when the holder dies, so a killed run never leaves a stale lock).

Readers (review, export, report, eval, the web pages) call these queries; none holds SQL
of its own.
"""

from __future__ import annotations

from pipeline.store.cache import CacheQueries
from pipeline.store.db import BUSY_TIMEOUT_MS, utc_now
from pipeline.store.flags import DocumentWrite, FlagFilter, FlagNotFoundError
from pipeline.store.lock import RunLock
from pipeline.store.results import FACT_COLUMNS, FactRow, ResultQueries, Unchanged, extraction_facts
from pipeline.store.runs import RunQueries


class Store(ResultQueries, RunQueries, CacheQueries):
    """A connection to the recon database, migrated on open, with every query of the store.

    Use as a context manager (`with Store(path) as store:`).
    """


__all__ = [
    "BUSY_TIMEOUT_MS",
    "FACT_COLUMNS",
    "DocumentWrite",
    "FactRow",
    "FlagFilter",
    "FlagNotFoundError",
    "RunLock",
    "Store",
    "Unchanged",
    "extraction_facts",
    "utc_now",
]
