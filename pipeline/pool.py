"""Worker processes for per-item CPU work, results streamed back in completion order.

`WorkerPool(fn, jobs)` starts `jobs` processes (forked where the platform can, so a
worker starts in milliseconds with the parent's modules loaded; spawned elsewhere).
Each worker holds at most one item at a time through its own pipe, so at most `jobs`
items and `jobs` results are ever in flight: memory stays bounded however many items
there are, and the caller (the single SQLite writer) consumes each result as it comes.

A worker that dies on an item (killed, a crash in a C extension, `os._exit`) gives that
item a `WorkerFailure` and is replaced; the other items go on. An exception raised by
`fn` is a `WorkerFailure` too. Workers ignore SIGINT (the parent decides to stop and
ends them) and exit when the parent's end of their pipe closes, so a parent killed
with SIGKILL leaves no worker running past the item it holds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Seconds a worker gets to exit after its pipe is closed before it is terminated.
_EXIT_GRACE = 2.0


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class WorkerFailure:
    """An item whose worker died or raised: `reason` is one line."""

    reason: str


def _serve(fn: Callable[[Any], Any], conn: Connection, close_fds: Sequence[int]) -> None:
    """A worker's loop: receive an item, send back ("ok", result) or ("error", reason), until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd in close_fds:  # e.g. the run lock: a killed parent's lock must not live on in its workers
        with contextlib.suppress(OSError):
            os.close(fd)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", fn(item))
        except Exception as exc:  # the item fails, the worker lives on
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class WorkerPool(Generic[T, R]):
    """`jobs` worker processes running `fn`; use as a context manager, then `imap_unordered`."""

    def __init__(self, fn: Callable[[T], R], jobs: int, close_fds: Sequence[int] = ()) -> None:
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self._fn = fn
        self._jobs = jobs
        self._close_fds = tuple(close_fds)
        self._context = _context()
        self._workers: list[_Worker] = []

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        # a forked worker inherits the parent's end of its own pipe and of every other worker's:
        # it closes them, or no worker would see EOF when the parent dies
        forked = self._context.get_start_method() == "fork"
        inherited = (parent.fileno(), *(w.conn.fileno() for w in self._workers)) if forked else ()
        process = self._context.Process(
            target=_serve,
            args=(self._fn, child, (*self._close_fds, *inherited) if forked else ()),
            daemon=True,
            name="recon-worker",
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        worker.conn.close()
        worker.process.join(_EXIT_GRACE)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()

    def imap_unordered(self, items: Iterable[T]) -> Iterator[tuple[T, R | WorkerFailure]]:
        """(item, result or WorkerFailure) for each item, in the order they finish."""
        pending = iter(items)
        idle = [self._start() for _ in range(self._jobs)]
        busy: dict[int, tuple[_Worker, T]] = {}
        exhausted = False
        while True:
            while idle and not exhausted:
                try:
                    item = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                worker = idle.pop()
                try:
                    worker.conn.send(item)
                except (BrokenPipeError, OSError):  # died while idle: replace it and send again
                    self._retire(worker)
                    worker = self._start()
                    worker.conn.send(item)
                busy[id(worker)] = (worker, item)
            if not busy:
                return
            waitables: list[Any] = []
            for worker, _ in busy.values():
                waitables += [worker.conn, worker.process.sentinel]
            ready = set(wait(waitables))
            for key, (worker, item) in list(busy.items()):
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                outcome: R | WorkerFailure
                try:
                    if not worker.conn.poll():
                        raise EOFError
                    status, value = worker.conn.recv()
                    outcome = value if status == "ok" else WorkerFailure(str(value))
                except (EOFError, OSError):
                    worker.process.join(_EXIT_GRACE)
                    outcome = WorkerFailure(_death(worker.process.exitcode))
                    self._retire(worker)
                    worker = self._start()
                del busy[key]
                idle.append(worker)
                yield item, outcome

    def close(self) -> None:
        """End every worker (closing its pipe; killing it when it does not exit)."""
        for worker in list(self._workers):
            self._retire(worker)

    def __enter__(self) -> WorkerPool[T, R]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the worker process was killed by {name}"
    return f"the worker process died (exit code {exitcode})"
