"""How well `extract_document` overlaps model calls: wall time at concurrency 1, 2, 4, 8.

Starts the fake OpenAI-compatible server (tests/fake_openai.py) answering
every request after `--latency` seconds, runs `extract_document` over
`--chunks` synthetic chunks at each concurrency, and prints the wall time and
the efficiency `(N·L/C) / wall` (1.0 = perfect overlap). No network: the
server listens on 127.0.0.1.

    PYTHONPATH=. python bench/llm_concurrency.py --chunks 16 --latency 0.5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_openai import FakeOpenAI, answer

from pipeline.extract.model.backend import extract_document
from pipeline.ingest.read import ingest_text
from pipeline.settings import Settings
from schemas import Chunk, Document


def synthetic(n_chunks: int) -> tuple[Document, list[Chunk]]:
    pieces = [
        f"{i + 1}、项目“测试项目{i + 1}”年初预算{i + 10}万元，实际支出{i + 9}.5万元。\n"
        for i in range(n_chunks)
    ]
    document = ingest_text("".join(pieces), "bench.txt")
    chunks, start = [], 0
    for index, piece in enumerate(pieces):
        chunks.append(
            Chunk(
                id=f"b{index}",
                document="bench.txt",
                index=index,
                start=start,
                end=start + len(piece),
                text=piece,
            )
        )
        start += len(piece)
    return document, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the fake server takes per answer")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    args = parser.parse_args()

    document, chunks = synthetic(args.chunks)
    print(f"N={args.chunks} chunks, latency L={args.latency}s per call (fake server on 127.0.0.1)")
    with FakeOpenAI(lambda _request: answer({"projects": []}, delay=args.latency)) as server:
        # The first call pays one-off costs (lazy imports in openai/instructor, schema builds): not measured.
        warm_settings = Settings(base_url=server.base_url, model="bench-model", requests_per_minute=100_000)
        started = time.monotonic()
        extract_document(document, chunks[:1], warm_settings)
        print(f"warm-up (1 call, not counted): {time.monotonic() - started:.2f}s")
        print(f"{'C':>3} {'calls':>6} {'wall s':>8} {'ideal N·L/C':>12} {'efficiency':>11}")
        for concurrency in args.concurrency:
            settings = Settings(
                base_url=server.base_url,
                model="bench-model",
                concurrency=concurrency,
                requests_per_minute=100_000,
            )
            before = server.calls
            started = time.monotonic()
            _, accounting = extract_document(document, chunks, settings)
            wall = time.monotonic() - started
            ideal = args.chunks * args.latency / concurrency
            calls = server.calls - before
            assert accounting.calls == calls == args.chunks, (accounting.calls, calls)
            print(f"{concurrency:>3} {calls:>6} {wall:>8.2f} {ideal:>12.2f} {ideal / wall:>11.2f}")


if __name__ == "__main__":
    main()
