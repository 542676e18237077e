"""Keep the README's accuracy table true: render it from `recon eval --json` output.

    python scripts/readme_figures.py --json eval-out.json           # exit 1 if the README differs
    python scripts/readme_figures.py --json eval-out.json --write   # rewrite the table in place

The table sits between `<!-- eval-table -->` and `<!-- /eval-table -->`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- eval-table -->", "<!-- /eval-table -->"

ROWS: tuple[tuple[str, str, str], ...] = (
    ("projects F1", "projects", "f1"),
    ("parents accuracy", "parents", "accuracy"),
    ("indicators F1", "indicators", "f1"),
    ("breakdowns F1", "breakdowns", "f1"),
    ("flags F1", "flags", "f1"),
    ("grounding exact", "grounding", "exact"),
    ("checker on gold facts F1", "check_gold", "f1"),
)
TARGETS = {
    "projects": "≥ 0.95",
    "parents": "≥ 0.95",
    "indicators": "≥ 0.85",
    "breakdowns": "≥ 0.90",
    "flags": "≥ 0.90",
    "grounding": "1.0",
    "check_gold": "",
}


def _figure(figures: dict[str, Any], section: str, key: str) -> str:
    value = figures.get(section, {}).get(key)
    return "—" if value is None else f"{value:.3f}"


def render(result: dict[str, Any]) -> str:
    """The markdown table: one column per document, then overall and the issue's target."""
    documents = sorted(result["documents"])
    short = [name.split("_")[0] + name[name.rfind(".") :] for name in documents]
    lines = [
        "| figure | " + " | ".join(short) + " | **overall** | target |",
        "|---|" + "---:|" * (len(documents) + 1) + "---|",
    ]
    for label, section, key in ROWS:
        cells = [_figure(result["documents"][name], section, key) for name in documents]
        overall = _figure(result["overall"], section, key)
        lines.append(f"| {label} | " + " | ".join(cells) + f" | **{overall}** | {TARGETS[section]} |")
    return "\n".join(lines)


#: Targets for reports the rules were not written from (issue 11).
CORPUS_TARGETS = {
    "projects": "≥ 0.85",
    "parents": "≥ 0.85",
    "indicators": "≥ 0.75",
    "breakdowns": "≥ 0.80",
    "flags": "≥ 0.60",
    "grounding": "1.0",
    "check_gold": "",
}
CORPUS_START, CORPUS_END = "<!-- corpus-table -->", "<!-- /corpus-table -->"


def render_corpus(result: dict[str, Any]) -> str:
    """The corpus table: overall figures only, against the generality targets."""
    lines = ["| figure | **corpus overall** | target |", "|---|---:|---|"]
    for label, section, key in ROWS:
        if section == "check_gold":
            continue
        lines.append(f"| {label} | **{_figure(result['overall'], section, key)}** | {CORPUS_TARGETS[section]} |")
    return "\n".join(lines)


def _replace(text: str, start: str, end: str, table: str) -> str | None:
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        return None
    return pattern.sub(lambda _: f"{start}\n{table}\n{end}", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, required=True, help="output of recon eval --json")
    parser.add_argument("--corpus-json", type=Path, help="recon eval --json on ../shared/corpus")
    parser.add_argument("--write", action="store_true", help="rewrite the README table")
    args = parser.parse_args()
    table = render(json.loads(args.json.read_text(encoding="utf-8")))
    text = README.read_text(encoding="utf-8")
    replaced = _replace(text, START, END, table)
    if replaced is None:
        print(f"README.md has no {START} … {END} block", file=sys.stderr)
        return 1
    updated = replaced
    if args.corpus_json is not None:
        corpus = render_corpus(json.loads(args.corpus_json.read_text(encoding="utf-8")))
        replaced = _replace(updated, CORPUS_START, CORPUS_END, corpus)
        if replaced is None:
            print(f"README.md has no {CORPUS_START} … {CORPUS_END} block", file=sys.stderr)
            return 1
        updated = replaced
        table = f"{table}\n\n{corpus}"
    if args.write:
        README.write_text(updated, encoding="utf-8")
        return 0
    if updated != text:
        print("README.md accuracy table differs from what recon eval measured; rerun with --write:", file=sys.stderr)
        print(table, file=sys.stderr)
        return 1
    print("README.md accuracy table matches recon eval")
    return 0


if __name__ == "__main__":
    sys.exit(main())
