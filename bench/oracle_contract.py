"""The oracle model: what the LLM plumbing loses when the model is perfect, for both contracts.

A fake OpenAI-compatible server (tests/fake_openai.py) answers every chunk from
the gold file, in the contract's own format, as a perfect model would: for
each gold project, indicator and breakdown whose name (or total) is written in
the chunk or its heading path, it gives the chunk's numbers that carry the gold
values — by id (`ids`) or copied as written (`copy`). The document then runs
end to end through `recon`'s own path (`process_path`: chunking, marking,
validation, grounding, merging, checker and re-read) and is scored against the
same gold with `recon eval`'s functions. What is lost is what the contract and
the plumbing cannot express.

Tokens are counted with a real tokenizer (`bpe-openai`'s `o200k_base`, the
GPT-4o encoding, shipped inside the package: `pip install bpe-openai`) on the
requests (messages plus the tool schema sent in `tools` mode) and on the
answers, per 1,000 characters of source text sent.

    python bench/oracle_contract.py                      # samples + ../shared/corpus, both contracts
    python bench/oracle_contract.py --sets corpus --contracts ids --misses 20
    python bench/oracle_contract.py --tokenizer qwen      # count with the local model's own vocabulary
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from fake_openai import Behaviour, FakeOpenAI, answer  # noqa: E402

from pipeline.evaluation.evaluate import (  # noqa: E402
    DocumentEvaluation,
    build_report,
    normalize_name,
    pair_gold_with_documents,
    score_document,
)
from pipeline.evaluation.gold import gold_to_extraction  # noqa: E402
from pipeline.extract.backends import open_extractor  # noqa: E402
from pipeline.extract.evidence import number_candidates  # noqa: E402
from pipeline.extract.ground_ids import mark_chunk  # noqa: E402
from pipeline.ingest.chunk import chunk_document  # noqa: E402
from pipeline.ingest.read import ingest  # noqa: E402
from pipeline.run import process_path_detailed  # noqa: E402
from pipeline.settings import Settings, load_settings  # noqa: E402
from schemas import Chunk, Document, DocumentExtraction, StatedNumber  # noqa: E402
from schemas.llm_ids import NumberCandidate  # noqa: E402

SETS = {
    "samples": (REPO / "eval" / "gold", REPO / "samples"),
    "corpus": (REPO.parent / "shared" / "corpus" / "gold", REPO.parent / "shared" / "corpus" / "texts"),
}


def _value(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _fits(candidate: NumberCandidate, document: Document, number: StatedNumber) -> bool:
    """The candidate states the gold number: same value, and the same unit when both are money."""
    if _value(document.text[candidate.start : candidate.end]) != number.value:
        return False
    money = ("元", "万元", "亿元")
    if number.unit in money:
        return candidate.unit == number.unit if candidate.kind == "money" else candidate.kind == "bare"
    if number.unit == "%":
        return candidate.kind in ("percent", "bare")
    return candidate.kind != "money"


@dataclass
class _ChunkView:
    chunk: Chunk
    ids: dict[int, NumberCandidate]
    flat: str  # the chunk text and heading path without spaces, for name search

    def name_position(self, name: str, fuzzy: bool = False) -> int | None:
        """Where a gold name is written in the chunk (0 when only its heading path names it)."""
        key = normalize_name(name)
        if not key:
            return None
        text = normalize_name(self.chunk.text)
        at = text.find(key)
        if at >= 0:
            return self._position_of_normalized(at)
        if key in normalize_name(" ".join(self.chunk.heading_path)):
            return 0
        if not fuzzy:
            return None
        # a name the annotator shortened or assembled: where its longest piece is written
        for size in range(len(key) - 1, max(3, len(key) // 2) - 1, -1):
            for begin in range(len(key) - size + 1):
                at = text.find(key[begin : begin + size])
                if at >= 0:
                    return self._position_of_normalized(at)
        return None

    def _position_of_normalized(self, at: int) -> int:
        # normalize_name drops spaces and quotes only, so the offset is close enough for ordering
        return self.chunk.start + at


@dataclass
class Oracle:
    """Answers a chunk from the gold extraction, as a perfect model would."""

    document: Document
    gold: DocumentExtraction
    views: list[_ChunkView]
    contract: str
    #: ids: leave breakdown labels out, for code to read (what labels cost and what they are worth)
    unlabelled: bool = False
    answered: list[str] = field(default_factory=list)
    unrecognised: int = 0

    def view_for(self, request: dict[str, Any]) -> _ChunkView | None:
        users = [str(m.get("content") or "") for m in request.get("messages", []) if m.get("role") == "user"]
        content = users[0] if users else ""
        best: _ChunkView | None = None
        for view in self.views:
            shown = (
                mark_chunk(view.chunk, list(view.ids.values())).text
                if self.contract == "ids"
                else view.chunk.text
            )
            if f"<chunk>\n{shown}" in content and (
                best is None or len(view.chunk.text) > len(best.chunk.text)
            ):
                best = view
        return best

    def pick(self, view: _ChunkView, number: StatedNumber, anchor: int, used: set[int]) -> int | None:
        fitting = [i for i, c in view.ids.items() if i not in used and _fits(c, self.document, number)]
        if not fitting:
            return None
        same_unit = [i for i in fitting if view.ids[i].unit == number.unit]
        fitting = same_unit or fitting
        after = [i for i in fitting if view.ids[i].start >= anchor]
        chosen = after[0] if after else fitting[-1]
        used.add(chosen)
        return chosen

    def written(self, view: _ChunkView, candidate_id: int) -> str:
        return view.ids[candidate_id].text

    def __call__(self, request: dict[str, Any]) -> Behaviour:
        view = self.view_for(request)
        if view is None:
            self.unrecognised += 1
            return answer({"projects": [], "indicators": [], "breakdowns": []})
        return answer(self.respond(view))

    def respond(self, view: _ChunkView) -> dict[str, Any]:
        projects: list[dict[str, Any]] = []
        used: set[int] = set()
        for project in self.gold.projects:
            literal = any(v.name_position(project.name) is not None for v in self.views)
            anchor = view.name_position(project.name, fuzzy=not literal)
            if anchor is None:
                continue
            facts: dict[str, Any] = {}
            for key, numbers in project.facts.items():
                ids = [i for n in numbers if (i := self.pick(view, n, anchor, used)) is not None]
                if ids:
                    facts[key.value] = ids if len(ids) > 1 or key.value == "supplement" else ids[0]
            if not facts:
                continue
            if self.contract == "ids":
                projects.append({"name": project.name, "parent": project.parent, "facts": facts})
            else:
                copy: dict[str, Any] = {"name": project.name, "parent": project.parent}
                for key, ids in facts.items():
                    copy[key] = (
                        [self.written(view, i) for i in ids]
                        if isinstance(ids, list)
                        else self.written(view, ids)
                    )
                projects.append(copy)
        indicators: list[dict[str, Any]] = []
        for indicator in self.gold.indicators:
            anchor = view.name_position(indicator.name, fuzzy=True)
            if anchor is None:
                continue
            local: set[int] = set()
            values = {
                f: i
                for f in ("target", "actual", "rate")
                if (n := getattr(indicator, f)) is not None
                and (i := self.pick(view, n, anchor, local)) is not None
            }
            if not values:
                continue
            if self.contract == "ids":
                # ids/2: the unit comes from the candidates, the category is not asked for
                indicators.append({"name": indicator.name, **values})
            else:
                copied = {f: self.written(view, i) for f, i in values.items()}
                indicators.append(
                    {"name": indicator.name, **copied, "unit": indicator.unit, "category": indicator.category}
                )
        breakdowns: list[dict[str, Any]] = []
        for breakdown in self.gold.breakdowns:
            chosen = self._breakdown(view, breakdown.total.amount, [p.amount for p in breakdown.parts])
            if chosen is None:
                continue
            total, parts = chosen
            labels = [p.label for p in breakdown.parts]
            if self.contract == "ids":
                if self.unlabelled:  # code reads each label from the words before its number
                    breakdowns.append({"total": total, "parts": parts})
                else:
                    named = {"total_label": breakdown.total.label, "total": total, "parts": parts}
                    breakdowns.append({**named, "labels": labels})
            else:
                breakdowns.append(
                    {
                        "total_label": breakdown.total.label,
                        "total": self.written(view, total),
                        "parts": [
                            {"label": label, "value": self.written(view, i)}
                            for label, i in zip(labels, parts, strict=True)
                        ],
                    }
                )
        self.answered.append(view.chunk.id)
        # a model leaves out what the text does not state: no `null` fields
        return _without_nulls({"projects": projects, "indicators": indicators, "breakdowns": breakdowns})

    def _breakdown(
        self, view: _ChunkView, total: StatedNumber, parts: Sequence[StatedNumber]
    ) -> tuple[int, list[int]] | None:
        """The total whose parts all follow it most closely in the chunk."""
        best: tuple[int, tuple[int, list[int]]] | None = None
        for total_id, candidate in view.ids.items():
            if not _fits(candidate, self.document, total):
                continue
            used = {total_id}
            found = [self.pick(view, part, candidate.start, used) for part in parts]
            if any(i is None for i in found):
                continue
            ids = [i for i in found if i is not None]
            spread = max(abs(view.ids[i].start - candidate.start) for i in ids) if ids else 0
            if best is None or spread < best[0]:
                best = (spread, (total_id, ids))
        return best[1] if best else None


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _tokens(tokenizer: str = "o200k") -> Callable[[str], int]:
    """A token counter: `o200k` (GPT-4o's encoding, from `bpe-openai`) or `qwen` (the fetched
    Qwen2.5-Coder GGUF's own vocabulary, through llama-cpp-python, the model `--backend local` runs)."""
    if tokenizer == "qwen":
        from llama_cpp import Llama

        from pipeline.extract.model.model_fetch import find_cached_model

        path = find_cached_model("qwen2.5-coder-1.5b")
        if path is None:
            raise SystemExit("no fetched qwen2.5-coder-1.5b: run `recon model fetch qwen2.5-coder-1.5b`")
        vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)
        return lambda text: len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))
    import bpe_openai

    encoding = bpe_openai.get_encoding("o200k_base")
    return lambda text: len(encoding.encode(text))


@dataclass
class Totals:
    source_chars: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    evaluations: list[DocumentEvaluation] = field(default_factory=list)


def run_set(
    name: str,
    contract: str,
    count: Callable[[str], int],
    misses: int,
    policy: str = "all",
    accept: str = "checked",
    hints: bool = True,
    unlabelled: bool = False,
) -> Totals:
    gold_dir, docs_dir = SETS[name]
    totals = Totals()
    for pair in pair_gold_with_documents(gold_dir, docs_dir):
        settings_probe = load_settings(backend="llm", base_url="http://127.0.0.1:9/v1", model="oracle")
        document = ingest(pair.document_path)
        chunks = chunk_document(document, settings_probe.chunk_chars)
        candidates = number_candidates(document)
        views = [_ChunkView(c, dict(mark_chunk(c, candidates).candidates), "") for c in chunks]
        oracle = Oracle(document, gold_to_extraction(pair.gold), views, contract, unlabelled)
        with FakeOpenAI(oracle) as server:
            settings: Settings = load_settings(
                backend="rules" if contract == "rules" else "llm",
                base_url=server.base_url,
                model="oracle",
                llm_contract="ids" if contract == "rules" else contract,
                llm_policy=policy,
                accept=accept,
                llm_hints=hints,
                concurrency=2,
                home=REPO,
            )
            with open_extractor(settings) as extractor:
                result, failures = process_path_detailed(pair.document_path, settings, extractor)
            for request in server.requests:
                body = request.body
                text = "\n".join(str(m.get("content") or "") for m in body.get("messages", []))
                schema = json.dumps(
                    body.get("tools") or body.get("response_format") or {}, ensure_ascii=False
                )
                totals.prompt_tokens += count(text) + count(schema)
                totals.requests += 1
        for view in views:
            totals.output_tokens += (
                count(json.dumps(oracle.respond(view), ensure_ascii=False))
                if view.chunk.id in oracle.answered
                else 0
            )
        sent = set(oracle.answered)
        if oracle.unrecognised:
            print(
                f"  {pair.document_path.name}: {oracle.unrecognised} request(s) not recognised",
                file=sys.stderr,
            )
        totals.source_chars += sum(len(c.text) for c in chunks if c.id in sent)
        extraction = result.extraction or DocumentExtraction(document=pair.document_path.name)
        evaluation = score_document(
            pair.document_path.name, pair.gold, extraction, result.check, document.original_text
        )
        totals.evaluations.append(evaluation)
        if failures:
            print(
                f"  {pair.document_path.name}: {len(failures)} failed chunk(s): {failures[0].reason}",
                file=sys.stderr,
            )
        if misses:
            for error in evaluation.errors[:misses]:
                if error.section in ("projects", "indicators", "breakdowns"):
                    where = f"{error.document} {error.kind} {error.section}"
                    print(f"  {where}: {error.what} gold={error.gold} got={error.got}")
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument(
        "--contracts",
        nargs="+",
        default=["ids", "copy"],
        choices=["ids", "copy", "rules"],
        help="rules: the rules backend alone, for comparison",
    )
    parser.add_argument("--policy", choices=["all", "uncovered"], default="all")
    parser.add_argument("--accept", choices=["checked", "all"], default="checked")
    parser.add_argument("--no-hints", action="store_true", help="ids: do not show the rules' roles")
    parser.add_argument(
        "--unlabelled", action="store_true", help="ids: breakdowns without labels (code reads them)"
    )
    parser.add_argument(
        "--tokenizer", choices=["o200k", "qwen"], default="o200k", help="what counts the tokens"
    )
    parser.add_argument("--misses", type=int, default=0, help="print up to N misses per document")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    count = _tokens(args.tokenizer)
    print(
        "| set | contract | projects F1 | indicators F1 | breakdowns F1 | grounding | requests "
        "| prompt tok/1k chars | output tok/1k chars |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.sets:
        for contract in args.contracts:
            totals = run_set(
                name, contract, count, args.misses, args.policy, args.accept,
                hints=not args.no_hints, unlabelled=args.unlabelled,
            )
            report = build_report(totals.evaluations)
            overall = report.overall
            per_k = 1000 / max(totals.source_chars, 1)
            label = contract if contract == "rules" else f"{contract} {args.policy}"
            label += f" {args.accept}" if args.policy == "uncovered" and contract != "rules" else ""
            label += " no hints" if args.no_hints and contract == "ids" else ""
            label += " unlabelled" if args.unlabelled and contract == "ids" else ""
            print(
                f"| {name} | {label} | {overall.projects.f1:.3f} | {overall.indicators.f1:.3f} | "
                f"{overall.breakdowns.f1:.3f} | {(overall.grounding.exact or 0):.3f} | {totals.requests} | "
                f"{totals.prompt_tokens * per_k:.0f} | {totals.output_tokens * per_k:.1f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
