"""Speed figures of issue 15, printed (not timed tests): `make bench` or `python -m bench.speed`.

A corpus of N reports is made at bench time from samples/*.txt and ../shared/corpus/texts
(when present), each copy with a unique line appended, then:

- a fresh `recon run --backend rules` in a child process: wall, CPU, cores used, MB/s per
  core, peak RSS (`ru_maxrss` of the children), bytes written (`/proc/<pid>/io`), DB size;
- a paired floor: a Python regex scan of the same files, in the same run;
- a re-run of the unchanged files;
- `--jobs 1` against the default jobs (same corpus);
- export xlsx/csv, `report`, and `flags --json` start-up;
- a generated 200-page text PDF and 200-page ruled-table PDF: pages/s against raw pypdfium2.

Sizes: `--sizes 10,100,1000` (default 10,100). Keep it short on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def _sources() -> list[Path]:
    sources = sorted((REPO / "samples").glob("*.txt"))
    corpus = SHARED / "corpus" / "texts"
    if corpus.is_dir():
        sources += sorted(corpus.glob("*.txt"))
    return sources


def make_corpus(folder: Path, count: int) -> int:
    """`count` reports copied round-robin from the sources, each with a unique last line; bytes."""
    folder.mkdir(parents=True)
    sources = [p.read_text(encoding="utf-8") for p in _sources()]
    total = 0
    for i in range(count):
        text = sources[i % len(sources)] + f"\n附注：本报告副本编号 {i:06d}。\n"
        data = text.encode("utf-8")
        (folder / f"r{i:06d}.txt").write_bytes(data)
        total += len(data)
    return total


def _recon(*args: str) -> tuple[float, float, int, int]:
    """Run `python -m pipeline.cli ARGS`: (wall s, CPU s of it and its children, peak RSS KB, bytes written)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    written = 0
    while process.poll() is None:
        written = max(written, _write_bytes(process.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode not in (0, 1, 3):
        raise SystemExit(f"recon {' '.join(args)} failed ({process.returncode}): {process.stderr.read()!r}")
    return wall, cpu, after.ru_maxrss, written


def _write_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def regex_floor(folder: Path) -> float:
    pattern = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|亿元|元|%)")
    start = time.perf_counter()
    for path in sorted(folder.iterdir()):
        pattern.findall(path.read_text(encoding="utf-8"))
    return time.perf_counter() - start


def bench_corpus(count: int, work: Path) -> None:
    folder = work / f"docs{count}"
    size = make_corpus(folder, count)
    db, out = work / f"r{count}.db", work / f"out{count}"
    wall, cpu, rss, written = _recon("run", str(folder), "--db", str(db), "--out", str(out),
                                     "--backend", "rules", "-q", "--fail-on", "never")
    floor = regex_floor(folder)
    rerun, _, rerun_rss, _ = _recon("run", str(folder), "--db", str(db), "--out", str(out),
                                    "--backend", "rules", "-q", "--fail-on", "never")
    db_size = db.stat().st_size + sum(p.stat().st_size for p in work.glob(f"r{count}.db-*"))
    mb = size / 1e6
    print(
        f"{count:>5} reports {mb:6.1f} MB: fresh {wall:6.2f} s wall, {cpu:6.2f} s CPU, "
        f"{cpu / wall:4.2f} cores, {mb / cpu:5.2f} MB/s per core, {mb / wall:5.2f} MB/s; "
        f"peak RSS {rss / 1024:5.0f} MB; written {written / 1e6:6.1f} MB for a {db_size / 1e6:5.1f} MB DB "
        f"({written / max(db_size, 1):4.1f}×); regex floor {floor:5.3f} s ({wall / floor:5.0f}×); "
        f"re-run {rerun:5.2f} s ({rerun_rss / 1024:4.0f} MB)"
    )
    if count >= 100:
        one, cpu1, _, _ = _recon("run", str(folder), "--db", str(work / f"j1-{count}.db"),
                                 "--out", str(work / f"j1out{count}"), "--backend", "rules", "-q",
                                 "--fail-on", "never", "--jobs", "1")
        print(f"{count:>5} reports: --jobs 1 {one:6.2f} s wall vs default jobs {wall:6.2f} s: {one / wall:4.2f}×")
        for fmt in ("xlsx", "csv"):
            took, _, rss, _ = _recon("export", "--format", fmt, "--db", str(db), "--out", str(work / f"e.{fmt}"))
            print(f"{count:>5} reports: export {fmt} {took:5.2f} s, peak RSS {rss / 1024:4.0f} MB")
        took, _, rss, _ = _recon("report", "--db", str(db), "--out", str(work / f"report{count}.html"))
        print(f"{count:>5} reports: report {took:5.2f} s, peak RSS {rss / 1024:4.0f} MB")
    shutil.rmtree(folder)


def bench_startup(work: Path) -> None:
    db = work / "r10.db"
    times = sorted(_recon("flags", "--json", "--db", str(db))[0] for _ in range(5))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - start
    print(f"flags --json start-up: median {times[2]:.2f} s (min {times[0]:.2f}); python -c pass {bare:.2f} s")


def _pdf(path: Path, pages: int, table: bool) -> None:
    from fpdf import FPDF

    font = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    pdf = FPDF()
    if font.exists():
        pdf.add_font("zh", "", str(font))
        pdf.set_font("zh", size=10)
        label = "项目资金"
    else:
        pdf.set_font("Helvetica", size=10)
        label = "Project funds"
    for page in range(pages):
        pdf.add_page()
        if table:
            for row in range(12):
                for col, cell in enumerate([f"{label} {row}", f"{100 + row}.00", f"{90 + row}.50", "95%"]):
                    pdf.cell(45, 8, cell, border=1, new_x="RIGHT" if col < 3 else "LMARGIN",
                             new_y="TOP" if col < 3 else "NEXT")
        else:
            for line in range(30):
                pdf.cell(0, 7, f"{label} page {page} line {line}: 225.00 万元, spent 228.65 万元",
                         new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def bench_pdf(work: Path) -> None:
    import pypdfium2 as pdfium

    from pipeline.ingest.formats import pdf_text

    for table in (False, True):
        path = work / ("table.pdf" if table else "text.pdf")
        _pdf(path, 200, table)
        data = path.read_bytes()
        start = time.perf_counter()
        doc = pdfium.PdfDocument(data)
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        doc.close()
        raw = time.perf_counter() - start
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        pdf_text(str(path), data)
        ours = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kind = "ruled-table" if table else "text"
        print(
            f"200-page {kind} PDF: ingest {200 / ours:6.1f} pages/s, raw pypdfium2 {200 / raw:6.1f} pages/s "
            f"({ours / raw:4.1f}×); peak RSS of this process {rss / 1024:4.0f} MB (+{(rss - rss_before) / 1024:.0f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100")
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, usable {len(os.sched_getaffinity(0))}; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="speed_bench_") as tmp:
        work = Path(tmp)
        for count in sorted(int(n) for n in args.sizes.split(",")):
            bench_corpus(count, work)
        if (work / "r10.db").exists():
            bench_startup(work)
        if not args.no_pdf:
            bench_pdf(work)


if __name__ == "__main__":
    main()
