"""Benchmark the local model (llama.cpp + a small GGUF) on the gold set, next to the rules backend.

The local model goes through the ordinary LLM path: `pipeline.extract.model.local_server`
starts llama.cpp's OpenAI-compatible server and `pipeline.extract.model.backend.extract_document`
talks to it, exactly as `recon run --backend local` does. Both backends are
scored with `pipeline.evaluation.evaluate` (the functions behind `recon eval`), and the
script adds what a local run costs: calls, tokens, re-asks, numbers rejected
by grounding (with the reasons), wall time and latency per chunk.

A 1.5B model on two cores reads ~25–290 tokens/s and writes 5–25 tokens/s, so
a document takes minutes: start with the two short ones.

    python bench/eval_local.py --docs 004 002
    python bench/eval_local.py --docs 000 --chunks-matching 项目 --max-chunks 6   # part of 000
    python bench/eval_local.py --docs 004 --model-path ~/models/qwen2.5-7b.gguf --json out.json

With `--chunks-matching`/`--max-chunks` only some chunks are sent to the
model; both backends are then scored on the projects of those chunks only
(gold projects whose name occurs in them; indicators, breakdowns and flags are
not scored), so the comparison stays fair.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.check.run import check  # noqa: E402
from pipeline.evaluation.evaluate import (  # noqa: E402
    DocumentEvaluation,
    EvalReport,
    GoldPair,
    build_report,
    normalize_name,
    pair_gold_with_documents,
    score_document,
)
from pipeline.extract.complete import complete  # noqa: E402
from pipeline.extract.model.local_server import local_server  # noqa: E402
from pipeline.extract.rules.extract import extract as extract_rules  # noqa: E402
from pipeline.ingest.chunk import chunk_document  # noqa: E402
from pipeline.ingest.read import ingest  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402
from schemas import Accounting, Chunk, DocumentExtraction  # noqa: E402
from schemas.gold import GoldDocument  # noqa: E402

_UNGROUNDED = re.compile(
    r"chunk (?P<chunk>\S+): ungrounded number (?P<raw>.+?) for (?P<subject>.+?) \((?P<why>.*)\)"
)


class RejectLog(logging.Handler):
    """Collects the numbers grounding rejected (pipeline.extract.ground logs each one)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.rejected: list[dict[str, str]] = []
        self.other: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        match = _UNGROUNDED.search(message)
        if match:
            self.rejected.append(match.groupdict())
        elif record.name.startswith("pipeline"):
            self.other.append(message)


@dataclass
class LocalRun:
    document: str
    chunks_sent: int
    chunks_total: int
    seconds: float
    accounting: Accounting
    extraction: DocumentExtraction
    rejected: list[dict[str, str]] = field(default_factory=list)


def _pairs(gold_dir: Path, docs_dir: Path, prefixes: Sequence[str], suffix: str) -> list[GoldPair]:
    pairs = [
        pair
        for pair in pair_gold_with_documents(gold_dir, docs_dir)
        if pair.document_path.suffix == suffix
        and any(pair.document_path.name.startswith(p) for p in prefixes)
    ]
    order = {prefix: index for index, prefix in enumerate(prefixes)}
    pairs.sort(key=lambda pair: min(order[p] for p in prefixes if pair.document_path.name.startswith(p)))
    if not pairs:
        raise SystemExit(f"no gold/document pair for {list(prefixes)} in {gold_dir} / {docs_dir}")
    return pairs


def _select(chunks: list[Chunk], matching: str | None, limit: int | None) -> list[Chunk]:
    chosen = [
        chunk
        for chunk in chunks
        if matching is None or re.search(matching, " ".join(chunk.heading_path) + "\n" + chunk.text)
    ]
    return chosen[:limit] if limit else chosen


def _restrict(
    gold: GoldDocument, extraction: DocumentExtraction, chunks: list[Chunk]
) -> tuple[GoldDocument, DocumentExtraction]:
    """Projects only, and only those of `chunks` (gold by name occurrence, extraction by chunk id)."""
    text = normalize_name("".join(chunk.text for chunk in chunks))
    ids = {chunk.id for chunk in chunks}
    gold_projects = [p for p in gold.projects if normalize_name(p.name) in text]
    kept_names = {p.name for p in gold_projects}
    restricted_gold = gold.model_copy(
        update={
            "projects": [
                p.model_copy(update={"parent": p.parent if p.parent in kept_names else None})
                for p in gold_projects
            ],
            "indicators": [],
            "breakdowns": [],
            "inconsistencies": [],
        }
    )
    restricted = extraction.model_copy(
        update={
            "projects": [p for p in extraction.projects if p.chunk_id in ids],
            "indicators": [],
            "breakdowns": [],
            "statements": [],
            "years": [],
        }
    )
    return restricted_gold, restricted


def _extract_local(
    document: Any,
    chunks: list[Chunk],
    selected: list[Chunk],
    settings: Any,
    policy: str,
    by_rules: DocumentExtraction,
) -> tuple[DocumentExtraction, Accounting]:
    """The model's extraction in the configured contract; under `uncovered`, only the chunks with
    money the rules left unplaced or flagged go to the model and its reading is merged into the
    rules' with the checker as referee, exactly as `recon run --llm-policy uncovered` does."""
    from pipeline.extract.evidence import chunks_to_send, number_candidates, rules_roles
    from pipeline.extract.model.backend import extract_document, make_contract
    from pipeline.extract.referee import referee_merge

    candidates = number_candidates(document)
    contract = make_contract(document, settings, candidates, rules_roles(document, by_rules, candidates))
    only: set[str] | None = None if len(selected) == len(chunks) else {chunk.id for chunk in selected}
    if policy == "uncovered":
        send = chunks_to_send(document, chunks, by_rules, check(by_rules), candidates)
        only = send if only is None else only & send
        extraction, accounting = extract_document(
            document, chunks, settings, cache=None, only_chunks=only, contract=contract
        )
        return referee_merge(by_rules, extraction, check, settings.accept), accounting
    return extract_document(document, chunks, settings, cache=None, only_chunks=only, contract=contract)


def _score(
    pair: GoldPair, extraction: DocumentExtraction, original: str, partial: list[Chunk] | None
) -> DocumentEvaluation:
    gold = pair.gold
    if partial is not None:
        gold, extraction = _restrict(gold, extraction, partial)
    report = check(extraction)
    return score_document(pair.document_path.name, gold, extraction, report, original)


def _figures(report: EvalReport) -> dict[str, float | None]:
    overall = report.overall
    return {
        "projects.precision": overall.projects.precision,
        "projects.recall": overall.projects.recall,
        "projects.f1": overall.projects.f1,
        "parents.accuracy": overall.parents.accuracy,
        "indicators.f1": overall.indicators.f1,
        "breakdowns.f1": overall.breakdowns.f1,
        "flags.precision": overall.flags.precision,
        "flags.recall": overall.flags.recall,
        "flags.f1": overall.flags.f1,
        "grounding.exact": overall.grounding.exact,
    }


def _print_comparison(rules: EvalReport, local: EvalReport) -> None:
    left, right = _figures(rules), _figures(local)
    print(f"\n{'figure':<22}{'rules':>10}{'local':>10}")
    for name in left:
        a, b = left[name], right[name]
        print(f"{name:<22}{'—' if a is None else f'{a:.3f}':>10}{'—' if b is None else f'{b:.3f}':>10}")
    for label, report in (("rules", rules), ("local", local)):
        p = report.overall.projects
        print(f"{label}: project facts correct {p.correct} / extracted {p.extracted} / gold {p.gold}")


def _print_costs(runs: list[LocalRun]) -> None:
    print(
        f"\n{'document':<34}{'chunks':>8}{'calls':>7}{'re-asks':>8}{'prompt':>8}{'output':>8}"
        f"{'ungr.':>6}{'failed':>7}{'wall s':>8}{'s/chunk':>8}"
    )
    for run in runs:
        a = run.accounting
        per_chunk = run.seconds / run.chunks_sent if run.chunks_sent else 0.0
        print(
            f"{run.document:<34}{f'{run.chunks_sent}/{run.chunks_total}':>8}{a.calls:>7}{a.retries:>8}"
            f"{a.prompt_tokens:>8}{a.completion_tokens:>8}{a.ungrounded:>6}{a.failed_chunks:>7}"
            f"{run.seconds:>8.0f}{per_chunk:>8.1f}"
        )
    seconds = sum(r.seconds for r in runs)
    output = sum(r.accounting.completion_tokens for r in runs)
    if seconds:
        print(f"throughput: {output / seconds:.1f} output tokens per wall second (prompt reading included)")


def _print_errors(local: EvalReport, runs: list[LocalRun]) -> None:
    reasons = Counter(entry["why"] for run in runs for entry in run.rejected)
    print("\nnumbers rejected by grounding, by reason:")
    for why, count in reasons.most_common():
        examples = [e["raw"] for run in runs for e in run.rejected if e["why"] == why][:4]
        print(f"  {count:>3}  {why}   e.g. {', '.join(examples)}")
    kinds = Counter((error.kind, error.section) for error in local.errors)
    print("\nlocal model errors found by scoring (kind, section):")
    for (kind, section), count in kinds.most_common(8):
        examples = [
            f"{e.what}: gold={e.gold} got={e.got}"
            for e in local.errors
            if (e.kind, e.section) == (kind, section)
        ][:2]
        print(f"  {count:>3}  {kind:<12}{section:<12}e.g. {' | '.join(examples)}")


def _append_user_instruction(sentence: str) -> None:
    """Bench-only experiment: end every chunk message with an explicit instruction."""
    import pipeline.extract.model.backend as extract_llm

    original = extract_llm.chunk_message

    def with_instruction(chunk: Chunk) -> str:
        return f"{original(chunk)}\n\n{sentence}"

    extract_llm.chunk_message = with_instruction


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", nargs="+", default=["004", "002"], help="document name prefixes, in order")
    parser.add_argument("--gold-dir", type=Path, default=REPO / "eval" / "gold")
    parser.add_argument("--docs-dir", type=Path, default=REPO / "samples")
    parser.add_argument("--suffix", default=".txt", help="which rendering of each document (.txt/.docx/.pdf)")
    parser.add_argument(
        "--model-path", type=Path, help="GGUF (default: RECON_MODEL_PATH, else the fetch cache)"
    )
    parser.add_argument("--mode", help="instructor mode (default: tools, enforced by llama.cpp's grammar)")
    parser.add_argument("--chunk-chars", type=int, help="chunk size (default: the local default, 1500)")
    parser.add_argument("--chunks-matching", help="regex: only send chunks whose heading or text matches")
    parser.add_argument("--max-chunks", type=int, help="send at most this many chunks per document")
    parser.add_argument("--json", type=Path, help="write all figures and errors here")
    parser.add_argument(
        "--user-instruction",
        help="experiment: append this sentence to each chunk's user message (e.g. 'Copy out every project, "
        "indicator and breakdown from the chunk above.'); turns the 1.5B's empty answers into facts",
    )
    parser.add_argument(
        "--llm-policy",
        choices=["all", "uncovered"],
        default="all",
        help="all: the model reads every chunk; uncovered: rules first, the model where they found nothing",
    )
    parser.add_argument("--llm-contract", choices=["ids", "copy"], default="ids")
    parser.add_argument("--accept", choices=["checked", "all"], default="checked")
    parser.add_argument("--no-llm-hints", action="store_true", help="ids contract: no rule hints")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(message)s")
    rejects = RejectLog()
    logging.getLogger("pipeline").addHandler(rejects)
    logging.getLogger("pipeline").setLevel(logging.WARNING if not args.verbose else logging.INFO)

    if args.user_instruction:
        _append_user_instruction(args.user_instruction)
    pairs = _pairs(args.gold_dir, args.docs_dir, args.docs, args.suffix)
    overrides: dict[str, Any] = {
        "backend": "local",
        "model_path": args.model_path,
        "instructor_mode": args.mode,
        "llm_contract": args.llm_contract,
        "accept": args.accept,
        "llm_hints": not args.no_llm_hints,
        # The server log goes here, not into the shared ./recon-out.
        "out_dir": Path(tempfile.mkdtemp(prefix="recon-eval-local-")),
    }
    if args.chunk_chars:
        overrides["chunk_chars"] = args.chunk_chars
    settings = load_settings(**overrides)
    partial_run = args.chunks_matching is not None or args.max_chunks is not None

    rules_evals: list[DocumentEvaluation] = []
    local_evals: list[LocalRun] = []
    local_scores: list[DocumentEvaluation] = []
    started = time.monotonic()
    with local_server(settings) as local:
        print(
            f"server ready in {time.monotonic() - started:.1f} s at {local.base_url}; "
            f"mode {local.instructor_mode}, "
            f"chunk_chars {local.chunk_chars}, model {settings.model_path or 'from cache'}, "
            f"server log {settings.out_dir / 'llama-server.log'}",
            flush=True,
        )
        for pair in pairs:
            document = ingest(pair.document_path)
            chunks = chunk_document(document, local.chunk_chars)
            selected = _select(chunks, args.chunks_matching, args.max_chunks)
            if not selected:
                raise SystemExit(f"{document.name}: no chunk matches {args.chunks_matching!r}")
            partial = selected if partial_run else None
            # Same chunks as the model, so a partial run scores both on the same chunk ids.
            rules_extraction = extract_rules(document, chunks)
            completed = complete(rules_extraction, document)
            rules_evals.append(_score(pair, completed, document.original_text, partial))
            before = len(rejects.rejected)
            t0 = time.monotonic()
            extraction, accounting = _extract_local(
                document, chunks, selected, local, args.llm_policy, rules_extraction
            )
            extraction = complete(extraction, document)  # as `recon run` does for every backend
            seconds = time.monotonic() - t0
            run = LocalRun(
                document.name,
                len(selected),
                len(chunks),
                seconds,
                accounting,
                extraction,
                rejects.rejected[before:],
            )
            local_evals.append(run)
            local_scores.append(_score(pair, extraction, document.original_text, partial))
            projects_rules, projects_local = rules_evals[-1].scores.projects, local_scores[-1].scores.projects
            print(
                f"{document.name}: {len(selected)}/{len(chunks)} chunks in {seconds:.0f} s "
                f"({accounting.calls} calls, {accounting.completion_tokens} output tokens, "
                f"{accounting.ungrounded} ungrounded); project facts F1 rules {projects_rules.f1:.3f} "
                f"local {projects_local.f1:.3f}",
                flush=True,
            )
    rules_report = build_report(rules_evals, {"backend": "rules"})
    local_report = build_report(local_scores, {"backend": "local"})
    if partial_run:
        print("\n(partial run: projects of the selected chunks only)")
    _print_comparison(rules_report, local_report)
    _print_costs(local_evals)
    _print_errors(local_report, local_evals)
    print(f"\ntotal wall time {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rules": rules_report.model_dump(mode="json"),
                    "local": local_report.model_dump(mode="json"),
                    "runs": [
                        {
                            "document": r.document,
                            "chunks_sent": r.chunks_sent,
                            "chunks_total": r.chunks_total,
                            "seconds": round(r.seconds, 1),
                            "accounting": r.accounting.model_dump(mode="json"),
                            "rejected": r.rejected,
                        }
                        for r in local_evals
                    ],
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
