"""`RunLock`: one recon run per database, an OS file lock (`fcntl.flock`) on `<db>.lock`.

The kernel releases the lock when the holder dies, however it dies, so a killed run
never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pipeline.errors import StoreError
from pipeline.store.db import utc_now


class RunLock:
    """One recon run per database: an exclusive `fcntl.flock` on `<db>.lock`.

    Non-blocking by default (raises StoreError naming the holder's pid and start
    time); `wait=True` blocks until the other run ends. The kernel drops the lock
    when the holding process exits, however it exits.
    """

    def __init__(self, db_path: Path, wait: bool = False) -> None:
        self.path = Path(f"{db_path}.lock")
        self.db_path = db_path
        self.wait = wait
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {self.path}: {exc}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = self.holder()
            handle.close()
            who = f"pid {holder.get('pid', '?')}"
            since = holder.get("since", "an unknown time")
            raise StoreError(
                f"another recon run ({who}) holds the lock on {self.db_path.name} since {since}; "
                "wait for it to finish or use --wait"
            ) from None
        except OSError as exc:
            handle.close()
            raise StoreError(f"cannot lock {self.path}: {exc}") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "since": utc_now()}))
        handle.flush()
        self._handle = handle

    def holder(self) -> dict[str, Any]:
        """What the current holder wrote into the lock file (pid, since), or {}."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def filenos(self) -> tuple[int, ...]:
        """The lock file's descriptor while held (worker processes close their inherited copy)."""
        return (self._handle.fileno(),) if self._handle is not None else ()

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
