"""A newcomer's first ten minutes (issue 17), through typer's CliRunner.

The README's run table is what `recon run samples/` prints; exit 3 explains
itself; one `--db` default in every `--help`; `recon --version`; `--document`
by prefix or part of a name; bad environment values in one line, exit 2;
exports outside `recon-out/`; pytest says why it skipped.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pipeline.cli.main import app
from pipeline.cli.options import DB_HELP, match_document
from pipeline.extract.model.local_server import DEFAULT_LOCAL_CHUNK_CHARS, DEFAULT_LOCAL_N_CTX
from pipeline.settings import ENVIRONMENT, EnvVar, env_var
from pipeline.store import Store
from scripts.readme_figures import current_block, env_table, run_block

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SAMPLE_NAMES = sorted(p.name for p in (REPO / "samples").iterdir() if p.suffix in (".txt", ".docx", ".pdf"))

runner = CliRunner()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Result, Path]]:
    """The README's first command, `recon run samples/`, from the repository root on a fresh home."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        for name in [v.name for v in ENVIRONMENT]:
            patch.delenv(name, raising=False)
        patch.setenv("RECON_HOME", str(home))
        patch.chdir(REPO)
        result = runner.invoke(app, ["run", "samples/"])
    yield result, home


def _stored_db(first_run: tuple[Result, Path]) -> Path:
    return first_run[1] / "recon.db"


# --- 1. the README's run table ------------------------------------------------------------------


def test_readme_run_table_is_what_recon_run_samples_prints(first_run: tuple[Result, Path]) -> None:
    result, _ = first_run
    assert current_block(README.read_text(encoding="utf-8"), "run-table") == run_block(result.stdout), (
        "README's run table is stale: python scripts/readme_figures.py --write"
    )


def test_readme_shows_no_template_marker_inside_a_code_block() -> None:
    fenced = re.findall(r"^```.*?^```", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    assert fenced
    assert [block for block in fenced if "<!--" in block] == []


# --- 2. exit 3 explains itself -------------------------------------------------------------------


def test_exit_three_ends_with_the_flags_to_review(first_run: tuple[Result, Path]) -> None:
    result, _ = first_run
    with Store(_stored_db(first_run)) as store:
        counts = store.get_run(1).counts
    assert counts.new_error > 0
    assert result.exit_code == 3
    last = result.stdout.strip().splitlines()[-1]
    # Chinese, the default language (the fixture clears RECON_LANG like every RECON_ variable)
    assert last.startswith(f"{counts.open_error} 条标记待审核——退出码 3 表示有 --fail-on error 及以上、尚无人审定的标记")
    assert "recon flags --status open" in last and "recon serve" in last


def test_no_explanation_without_exit_three(tmp_path: Path) -> None:
    sample = str(REPO / "samples" / SAMPLE_NAMES[0])
    quiet = runner.invoke(app, ["run", sample, "--quiet"])
    assert quiet.exit_code == 3
    assert quiet.stdout.strip().count("\n") == 0, "--quiet prints the summary line only"
    again = runner.invoke(app, ["run", sample, "--force", "--fail-on", "never"])  # flags open, no exit 3
    assert again.exit_code == 0
    assert "exit 3" not in again.stdout


# --- 3. one --db default; every environment variable documented ---------------------------------


def _flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.mark.parametrize("command", ["run", "eval", "flags", "show", "review", "export", "report"])
def test_every_db_help_states_the_same_default(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0
    text = _flat(result.stdout)
    assert _flat(DB_HELP) in text
    assert text.count("recon.db") == 1


def test_every_variable_the_code_reads_is_in_the_one_table() -> None:
    read = set()
    for source in (REPO / "pipeline").rglob("*.py"):
        read |= set(re.findall(r"\b(RECON_[A-Z_]+[A-Z])\b", source.read_text(encoding="utf-8")))
    documented = {variable.name for variable in ENVIRONMENT}
    assert read - documented == set()
    assert current_block(README.read_text(encoding="utf-8"), "env-table") == env_table(), (
        "README's table of environment variables is stale: python scripts/readme_figures.py --write"
    )
    assert env_var("RECON_LOCAL_CHUNK_CHARS").default == f"`{DEFAULT_LOCAL_CHUNK_CHARS}`"
    assert env_var("RECON_LOCAL_N_CTX").default == f"`{DEFAULT_LOCAL_N_CTX}`"


# --- 4. --version --------------------------------------------------------------------------------


def test_version_prints_the_project_version() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'^version = "([^"]+)"$', pyproject, re.MULTILINE)
    assert declared is not None
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"recon {declared.group(1)}\n"


# --- 5. --document by prefix or part ------------------------------------------------------------


def _flag_documents(db: Path, *args: str) -> Result:
    return runner.invoke(app, ["flags", "--json", "--db", str(db), *args])


@pytest.mark.parametrize("query", ["000", "7b2530", "000_7b25304ad1b9e67e.txt"])
def test_document_accepts_a_unique_prefix_or_part(first_run: tuple[Result, Path], query: str) -> None:
    result = _flag_documents(_stored_db(first_run), "--document", query)
    assert result.exit_code == 0, result.stderr
    flags = json.loads(result.stdout)
    assert flags
    assert {flag["document"] for flag in flags} == {"000_7b25304ad1b9e67e.txt"}


def test_ambiguous_document_lists_the_candidates(first_run: tuple[Result, Path]) -> None:
    result = _flag_documents(_stored_db(first_run), "--document", "004")
    assert result.exit_code == 2
    assert "ambiguous" in result.stderr
    for name in (n for n in SAMPLE_NAMES if n.startswith("004")):
        assert name in result.stderr
    assert "000_" not in result.stderr


def test_unknown_document_says_so_and_lists_near_names(first_run: tuple[Result, Path]) -> None:
    result = _flag_documents(_stored_db(first_run), "--document", "00x_7b")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no document matches --document '00x_7b'; did you mean: 000_7b25304ad1b9e67e.txt" in result.stderr
    assert result.stderr.count("\n") == 1


def test_export_resolves_document_the_same_way(first_run: tuple[Result, Path], tmp_path: Path) -> None:
    out = tmp_path / "facts.json"
    args = ["export", "--format", "json", "--what", "facts", "--document", "001", "--out", str(out)]
    result = runner.invoke(app, [*args, "--db", str(_stored_db(first_run))])
    assert result.exit_code == 0, result.stderr
    facts = json.loads(out.read_text(encoding="utf-8"))["facts"]
    assert facts
    assert {fact["document"] for fact in facts} == {"001_7405f8ecf0461328.txt"}


def test_exact_name_wins_over_a_longer_name_it_begins() -> None:
    assert match_document(["a.txt", "a.txt.bak"], "a.txt") == "a.txt"
    assert match_document(["a.txt", "a.txt.bak"], "bak") == "a.txt.bak"


# --- 6. bad environment values -------------------------------------------------------------------

_BAD = {"a whole number": "many", "a number": "soon", "one of": "nonsense"}


def _bad_value(allowed: str) -> str | None:
    return next((value for prefix, value in _BAD.items() if allowed.startswith(prefix)), None)


CHECKED = [v for v in ENVIRONMENT if v.field is not None and _bad_value(v.allowed_text()) is not None]


@pytest.mark.parametrize("variable", CHECKED, ids=[v.name for v in CHECKED])
def test_bad_environment_value_is_one_line_naming_it(variable: EnvVar, tmp_path: Path) -> None:
    name, allowed = variable.name, variable.allowed_text()
    value = _bad_value(allowed)
    result = runner.invoke(app, ["run", str(tmp_path)], env={name: value})
    assert result.exit_code == 2
    # a bad RECON_LANG cannot choose the language of its own error: the default, Chinese, speaks
    if name == "RECON_LANG":
        expected = f"错误：{name}='{value}' 不是允许的值：应为 {allowed}".replace("`", "")
    else:
        expected = f"Error: {name}='{value}' is not allowed: expected {allowed}".replace("`", "")
    assert result.stderr == expected + "\n"


def test_out_of_range_value_names_the_bound_for_review_commands_too(first_run: tuple[Result, Path]) -> None:
    result = runner.invoke(
        app, ["flags", "--db", str(_stored_db(first_run))], env={"RECON_CHUNK_CHARS": "10"}
    )
    assert result.exit_code == 2
    assert result.stderr == "Error: RECON_CHUNK_CHARS='10' is not allowed: expected a whole number ≥ 200\n"
    assert "validation error" not in result.stderr


# --- 7. exports go to the current directory -----------------------------------------------------


def test_export_and_report_land_in_the_current_directory(
    first_run: tuple[Result, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECON_HOME")
    monkeypatch.chdir(tmp_path)
    db = str(_stored_db(first_run))
    exported = runner.invoke(app, ["export", "--format", "json", "--db", db])
    assert exported.exit_code == 0, exported.stderr
    reported = runner.invoke(app, ["report", "--db", db])
    assert reported.exit_code == 0, reported.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recon-both.json", "report-run-1.html"]
    assert json.loads((tmp_path / "recon-both.json").read_text(encoding="utf-8"))["flags"]
    chosen = runner.invoke(app, ["export", "--format", "csv", "--what", "flags", "--out", "f.csv", "--db", db])
    assert chosen.exit_code == 0, chosen.stderr
    assert (tmp_path / "f.csv").read_text(encoding="utf-8-sig").startswith("id,document,rule")


# --- 8. pytest says why it skipped --------------------------------------------------------------


def test_pytest_defaults_report_skip_reasons(tmp_path: Path) -> None:
    (tmp_path / "test_skipping.py").write_text(
        "import pytest\n\n\n@pytest.mark.skip(reason='no chromium here')\ndef test_x() -> None:\n    pass\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path),
         "-p", "no:cacheprovider", str(tmp_path / "test_skipping.py")],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SKIPPED [1]" in done.stdout
    assert "no chromium here" in done.stdout
