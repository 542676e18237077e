"""Time on large text: one .txt of 1, 5, 20 (and 50) MB through ingest, chunk, rules extraction
and check, in seconds per MB. Linear time means a flat seconds-per-MB column.

The text is the bundled sample reports repeated (so every extractor has real work on every
megabyte), written to a temporary file and read by `process_path` as `recon run` would;
the file size limit is raised to fit. Prints figures; it is a benchmark, not a test.

Run: `PYTHONPATH=. python bench/large_text.py [--sizes 1 5 20 50]`
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from pipeline.run import process_path
from pipeline.settings import load_settings
from schemas import DocumentStatus

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
MEGABYTE = 1_000_000


def build_text(megabytes: float) -> str:
    """The sample .txt reports repeated to about `megabytes` MB of UTF-8."""
    seed = "\n".join(path.read_text(encoding="utf-8") for path in sorted(SAMPLES.glob("*.txt")))
    size = len(seed.encode("utf-8"))
    copies = max(1, round(megabytes * MEGABYTE / size))
    return "\n".join([seed] * copies)


def measure(megabytes: float, folder: Path) -> tuple[float, float, int]:
    """(MB actually written, seconds, facts found) for one size."""
    path = folder / f"large_{megabytes:g}mb.txt"
    path.write_text(build_text(megabytes), encoding="utf-8")
    size = path.stat().st_size / MEGABYTE
    settings = load_settings(backend="rules", max_file_bytes=path.stat().st_size + 1)
    started = time.perf_counter()
    result = process_path(path, settings)
    seconds = time.perf_counter() - started
    path.unlink()
    if result.status is not DocumentStatus.OK or result.extraction is None:
        raise SystemExit(f"{path.name}: {result.error}")
    extraction = result.extraction
    facts = len(extraction.projects) + len(extraction.indicators) + len(extraction.breakdowns)
    return size, seconds, facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 5, 20], help="sizes in MB")
    args = parser.parse_args()
    print(f"{'MB':>6} {'seconds':>9} {'s/MB':>7} {'items':>8} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for megabytes in args.sizes:
            size, seconds, facts = measure(megabytes, Path(tmp))
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{size:6.1f} {seconds:9.2f} {seconds / size:7.2f} {facts:8d} {peak:12.0f}", flush=True)


if __name__ == "__main__":
    main()
