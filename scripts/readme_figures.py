"""Keep the README's generated blocks true; CI fails when one no longer matches.

Each block sits between `<!-- NAME -->` and `<!-- /NAME -->` (outside any code
fence, so the markers never show):

* `run-table`: what the README's first command, `recon run samples/`, prints,
  run now from the repository root on a fresh database (a temporary
  `RECON_HOME`, no model configured). Nothing in it varies between runs, so
  it is compared exactly; when the extraction changes, regenerate it.
* `env-table`: every environment variable recon reads, rendered from
  `pipeline.settings.ENVIRONMENT`.
* `eval-table`: the accuracy table, rendered from `recon eval --json` output
  (only when `--json` is given).

    python scripts/readme_figures.py [--json eval-out.json]           # exit 1 if the README differs
    python scripts/readme_figures.py [--json eval-out.json] --write   # rewrite the blocks in place
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.settings import ENVIRONMENT  # noqa: E402 - the repository root is on sys.path only now

#: The README's first command, as the run-table block shows it.
RUN_COMMAND = ("run", "samples/")

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
    """The accuracy table: one column per document, then overall and the issue's target."""
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


def render_corpus(result: dict[str, Any]) -> str:
    """The corpus table: overall figures only, against the generality targets."""
    lines = ["| figure | **corpus overall** | target |", "|---|---:|---|"]
    for label, section, key in ROWS:
        if section == "check_gold":
            continue
        lines.append(f"| {label} | **{_figure(result['overall'], section, key)}** | {CORPUS_TARGETS[section]} |")
    return "\n".join(lines)


def run_block(stdout: str) -> str:
    """The fenced block showing `recon run samples/` and what it printed (trailing spaces dropped)."""
    lines = [line.rstrip() for line in stdout.rstrip("\n").splitlines()]
    return "\n".join(["```", "$ recon " + " ".join(RUN_COMMAND), *lines, "```"])


def run_samples() -> str:
    """Stdout of `recon run samples/` from the repository root, on a fresh database, no model."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("RECON_", "OPENAI_")) and name not in ("FORCE_COLOR", "TTY_COMPATIBLE")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="recon-readme-") as home:
        env["RECON_HOME"] = home
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *RUN_COMMAND],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
    if done.returncode not in (0, 3):
        raise SystemExit(f"recon run samples/ exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def env_table() -> str:
    """One row per environment variable of `pipeline.settings.ENVIRONMENT`."""
    lines = ["| variable | flag | default | allowed | meaning |", "|---|---|---|---|---|"]
    for variable in ENVIRONMENT:
        flag = f"`{variable.flag}`" if variable.flag else ""
        lines.append(
            f"| `{variable.name}` | {flag} | {_cell(variable.default_text())} | "
            f"{_cell(variable.allowed_text())} | {_cell(variable.meaning)} |"
        )
    return "\n".join(lines)


def block_pattern(name: str) -> re.Pattern[str]:
    return re.compile(re.escape(f"<!-- {name} -->") + r"\n(.*?)" + re.escape(f"<!-- /{name} -->"), re.DOTALL)


def current_block(text: str, name: str) -> str | None:
    """The README's text between the markers of `name` (None when the markers are missing)."""
    match = block_pattern(name).search(text)
    return None if match is None else match.group(1).removesuffix("\n")


def replace_block(text: str, name: str, body: str) -> str:
    return block_pattern(name).sub(lambda _: f"<!-- {name} -->\n{body}\n<!-- /{name} -->", text)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="output of recon eval --json (checks the accuracy table)")
    parser.add_argument("--corpus-json", type=Path, help="recon eval --json on ../shared/corpus")
    parser.add_argument("--write", action="store_true", help="rewrite the README blocks")
    args = parser.parse_args()
    blocks = {"run-table": run_block(run_samples()), "env-table": env_table()}
    if args.json is not None:
        blocks["eval-table"] = render(json.loads(args.json.read_text(encoding="utf-8")))
    if args.corpus_json is not None:
        blocks["corpus-table"] = render_corpus(json.loads(args.corpus_json.read_text(encoding="utf-8")))
    text = README.read_text(encoding="utf-8")
    updated = text
    stale = []
    for name, body in blocks.items():
        current = current_block(text, name)
        if current is None:
            print(f"README.md has no <!-- {name} --> … <!-- /{name} --> block", file=sys.stderr)
            return 1
        if current != body:
            stale.append(name)
            updated = replace_block(updated, name, body)
    if args.write:
        README.write_text(updated, encoding="utf-8")
        print("README.md blocks rewritten: " + (", ".join(stale) or "none changed"))
        return 0
    for name in stale:
        print(f"README.md {name} differs from what recon prints now; rerun with --write:", file=sys.stderr)
        print(blocks[name], file=sys.stderr)
    if stale:
        return 1
    print("README.md " + ", ".join(blocks) + " match what recon prints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
