"""`recon run` and `recon schema` through typer's CliRunner, asserting on what was stored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fake_openai import Behaviour, FakeOpenAI, answer, fake_openai, junk, status
from typer.testing import CliRunner

from pipeline.cli.main import app
from pipeline.store import RunLock, Store
from schemas import DocumentResult

REPO = Path(__file__).resolve().parent.parent
SEED_FILES = sorted((REPO / "samples").glob("*.txt"))

runner = CliRunner()
__all__ = ["fake_openai"]  # the fixture, imported for its side of the test module


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for seed in SEED_FILES:
        shutil.copy(seed, folder / seed.name)
    return folder


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["run", *args])
    return result.exit_code, result.stdout, result.stderr


def test_run_stores_prints_table_and_summary(docs: Path, tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    code, out, _ = _run(str(docs), "--db", str(db), "--out", str(tmp_path / "out"), "--backend", "rules")
    with Store(db) as store:
        (record,) = store.runs()
        assert store.count("documents") == 5
        assert store.count("facts") > 50
        flags = store.count("flags")
        expected = 3 if record.counts.new_error else 0
    assert code == expected
    assert "projects" in out and "indicators" in out and "breakdowns" in out
    for seed in SEED_FILES:
        assert seed.name in out
    lines = out.strip().splitlines()
    last = lines[-2] if code == 3 else lines[-1]  # exit 3 adds a line saying what it means
    assert last.startswith("5 documents: 5 ok, 0 failed, 0 skipped; ")
    assert f"{flags} flags ({record.counts.new_error} new error" in last
    assert "backend rules" in last
    assert record.argv[:3] == ["recon", "run", str(docs)]
    assert sorted(record.argv[3:]) == sorted(
        ["--backend=rules", f"--db={db}", f"--out={tmp_path / 'out'}", "--fail-on=error"]
    )


def test_auto_backend_says_what_it_picked(docs: Path, tmp_path: Path) -> None:
    code, out, _ = _run(str(docs), "--db", str(tmp_path / "recon.db"), "--quiet", "--fail-on", "never")
    assert code == 0
    assert out.strip().splitlines() == [out.strip()]  # --quiet: only the summary line
    assert out.strip().endswith("backend rules — no LLM configured")


def test_second_run_skips_everything_and_still_reports_open_errors(docs: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "recon.db")
    first, _, _ = _run(str(docs), "--db", db, "-q")
    code, out, _ = _run(str(docs), "--db", db, "-q")
    with Store(db) as store:
        open_errors = [f for f in store.flags() if f.severity.value == "error" and f.status.value == "open"]
    assert open_errors  # the samples hold errors nobody has decided on
    assert first == code == 3  # unchanged and undecided: still exit 3, not "nothing new"
    assert out.startswith("5 documents: 0 ok, 0 failed, 5 skipped; ")
    assert f"(0 new errors; {len(open_errors)} open errors undecided)" in out


def test_failed_file_exits_one_and_is_named_on_stderr(docs: Path, tmp_path: Path) -> None:
    (docs / "broken.docx").write_bytes(b"not a docx")
    db = tmp_path / "recon.db"
    code, out, err = _run(str(docs), "--db", str(db), "-q")
    assert code == 1
    assert "broken.docx: " in err
    assert "6 documents: 5 ok, 1 failed, 0 skipped" in out
    with Store(db) as store:
        broken = store.get_document((docs / "broken.docx").resolve())
        assert broken is not None and broken.status == "failed"


def test_new_error_flags_exit_three_unless_fail_on_never(docs: Path, tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    code, _, _ = _run(str(docs), "--db", str(db), "-q")
    with Store(db) as store:
        new_errors = store.runs()[0].counts.new_error
    # The samples hold known arithmetic errors (see eval/gold); none found is a checker regression.
    assert new_errors > 0, "the checker raised no error on the samples"
    assert code == 3
    code, _, _ = _run(str(docs), "--db", str(tmp_path / "other.db"), "-q", "--fail-on", "never")
    assert code == 0


def test_usage_errors_exit_two(docs: Path, tmp_path: Path) -> None:
    assert _run(str(docs), "--backend", "nonsense")[0] == 2
    assert _run(str(docs), "--fail-on", "sometimes")[0] == 2
    assert runner.invoke(app, ["run"]).exit_code == 2
    code, _, err = _run(str(docs), "--db", str(tmp_path / "recon.db"), "--backend", "llm")
    assert code == 2
    assert "RECON_BASE_URL" in err
    assert not (tmp_path / "out").exists()


def test_locked_database_exits_four_with_the_holder(docs: Path, tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    with RunLock(db):
        code, _, err = _run(str(docs), "--db", str(db))
    assert code == 4
    assert "another recon run (pid " in err and "holds the lock on recon.db since" in err
    with Store(db) as store:
        assert store.runs() == []


def test_api_key_is_never_stored(docs: Path, tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    _run(str(docs), "--db", str(db), "-q", "--backend", "rules", "--api-key", "sk-very-secret")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("recon.db*"))
    assert b"sk-very-secret" not in raw
    with Store(db) as store:
        assert "--api-key=***" in store.runs()[0].argv


def test_out_json_validates_against_recon_schema(docs: Path, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    out_dir = tmp_path / "out"
    _run(str(docs), "--db", str(tmp_path / "recon.db"), "--out", str(out_dir), "-q")
    printed = runner.invoke(app, ["schema"])
    assert printed.exit_code == 0
    schema = json.loads(printed.stdout)
    assert schema == DocumentResult.model_json_schema()
    files = sorted(out_dir.glob("*.json"))
    assert len(files) == 5
    for path in files:
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)


PROJECT_TEXT = (
    "一、项目资金情况\n"
    "项目“2023年基层医疗机构专项”年初预算金额225万元，年中调增上级转移支付9.05万元，"
    "实际支出228.65万元，2023年结余结转5.4万元。\n"
)
#: In the default `ids` contract: 225万元⟦1⟧, 9.05万元⟦2⟧, 228.65万元⟦3⟧, 5.4万元⟦4⟧ (years are not marked).
PROJECT_ANSWER = {
    "projects": [
        {
            "name": "2023年基层医疗机构专项",
            "facts": {"budget_initial": 1, "transfer_in": 2, "spent": 3, "carryover_out": 4},
        }
    ]
}


def test_llm_backend_counts_calls_caches_and_retries_failed_files(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.txt").write_text(PROJECT_TEXT, encoding="utf-8")
    db = tmp_path / "recon.db"
    monkeypatch.setenv("RECON_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("RECON_MODEL", "fake-model")
    monkeypatch.setenv("RECON_API_KEY", "sk-test-not-real")

    fake_openai.push(status(401, message="bad key"))
    code, out, err = _run(str(docs), "--db", str(db), "-q")
    assert code == 2  # a refused key is a configuration error
    assert "report.txt: the model server refused the request" in err and "401" in err
    assert "backend llm — auto picked it: model fake-model" in out

    fake_openai.responder = lambda request: answer(PROJECT_ANSWER)
    code, out, _ = _run(str(docs), "--db", str(db), "--fail-on", "never")
    assert code == 0
    assert "calls" in out and "tokens" in out and "cache hits" in out and "ungrounded" in out
    calls_after_first_success = fake_openai.calls
    with Store(db) as store:
        assert store.get_document((docs / "report.txt").resolve()) is not None
        values = {
            row["key"]: row["value"] for row in store.connection.execute("SELECT key, value FROM facts")
        }
        assert values["spent"] == "228.65" and values["budget_initial"] == "225"
        assert store.count("llm_cache") >= 1
        run_record = store.runs()[-1]
        assert run_record.backend == "llm" and run_record.model == "fake-model"
        assert run_record.prompt_version is not None and run_record.prompt_version.startswith("extract_ids_v")

    code, out, _ = _run(str(docs), "--db", str(db), "--force", "-q", "--fail-on", "never")
    assert code == 0 and "1 ok" in out
    assert fake_openai.calls == calls_after_first_success  # every chunk answered from the cache


def test_first_401_ends_the_runs_model_calls_and_exits_two(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (docs / name).write_text(PROJECT_TEXT, encoding="utf-8")
    db = tmp_path / "recon.db"
    monkeypatch.setenv("RECON_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("RECON_MODEL", "fake-model")
    monkeypatch.setenv("RECON_API_KEY", "sk-wrong-key")
    fake_openai.responder = lambda _request: status(401, message="invalid api key")

    code, out, err = _run(str(docs), "--db", str(db), "-q")
    assert code == 2
    assert fake_openai.calls == 1, "after the first 401 no document may be sent"
    assert out.startswith("4 documents: 0 ok, 4 failed, 0 skipped")
    failed_lines = [line for line in err.splitlines() if line.startswith("failed: ")]
    assert len(failed_lines) == 2, err
    assert failed_lines[0].startswith("failed: a.txt: the model server refused the request (")
    assert "401" in failed_lines[0] and "sk-wrong-key" not in err + out
    assert failed_lines[1].startswith("failed: 3 more documents not sent to the refusing model server")
    with Store(db) as store:
        for name in ("b.txt", "c.txt", "d.txt"):
            stored = store.get_document((docs / name).resolve())
            assert stored is not None and stored.status == "failed", name
            assert stored.error is not None and "not sent" in stored.error and "401" in stored.error
            assert "sk-wrong-key" not in stored.error

    fake_openai.responder = lambda request: answer(PROJECT_ANSWER)
    code, out, _ = _run(str(docs), "--db", str(db), "-q", "--fail-on", "never")
    assert code == 0
    assert out.startswith("4 documents: 4 ok, 0 failed, 0 skipped")  # the refused ones are retried
    assert fake_openai.calls == 1 + 1  # the four identical chunks: one call, then the cache


TWO_SECTIONS = (
    "一、项目资金情况\n"
    + "项目“甲专项”年初预算金额225万元，实际支出220万元，结余结转5万元。" * 4
    + "\n二、绩效目标完成情况\n"
    + "项目“乙专项”年初预算金额100万元，实际支出90万元，结余结转10万元。" * 4
    + "\n"
)


def _answer_for(request: dict[str, object]) -> Behaviour:
    text = json.dumps(request.get("messages"), ensure_ascii=False)
    name = "乙专项" if "乙专项" in text else "甲专项"
    # ⟦1⟧ is the chunk's first amount: 100万元 in 乙专项's chunk, 225万元 in 甲专项's
    return answer({"projects": [{"name": name, "facts": {"budget_initial": 1}}]})


def test_chunks_the_model_failed_on_are_retried_next_run(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "two.txt").write_text(TWO_SECTIONS, encoding="utf-8")
    db = tmp_path / "recon.db"
    monkeypatch.setenv("RECON_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("RECON_MODEL", "fake-model")
    monkeypatch.setenv("RECON_API_KEY", "sk-test-not-real")
    monkeypatch.setenv("RECON_CHUNK_CHARS", "200")
    monkeypatch.setenv("RECON_MAX_RETRIES", "0")

    def second_section_is_junk(request: dict[str, object]) -> Behaviour:
        if "乙专项" in json.dumps(request.get("messages"), ensure_ascii=False):
            return junk()
        return _answer_for(request)

    fake_openai.responder = second_section_is_junk
    code, out, _ = _run(str(docs), "--db", str(db), "-q", "--fail-on", "never", "--concurrency", "1")
    assert code == 0 and "1 ok" in out
    with Store(db) as store:
        assert store.count("chunk_failures") == 1
        subjects = {row[0] for row in store.connection.execute("SELECT DISTINCT subject FROM facts")}
        assert subjects == {"甲专项"}

    fake_openai.responder = _answer_for
    calls_before = fake_openai.calls
    code, out, _ = _run(str(docs), "--db", str(db), "-q", "--fail-on", "never")
    assert "1 ok, 0 failed, 0 skipped" in out  # not skipped: a chunk is missing
    assert fake_openai.calls == calls_before + 1  # only the failed chunk is asked again; the other is cached
    with Store(db) as store:
        assert store.count("chunk_failures") == 0
        subjects = {row[0] for row in store.connection.execute("SELECT DISTINCT subject FROM facts")}
        assert subjects == {"甲专项", "乙专项"}

    code, out, _ = _run(str(docs), "--db", str(db), "-q", "--fail-on", "never")
    assert "0 ok, 0 failed, 1 skipped" in out


def test_review_decision_survives_a_forced_rerun_through_the_cli(docs: Path, tmp_path: Path) -> None:
    db = tmp_path / "recon.db"
    _run(str(docs), "--db", str(db), "-q")
    with Store(db) as store:
        flag = store.flags()[0]
        errors = [f for f in store.flags() if f.severity.value == "error"]
    assert flag.severity.value == "error" or not errors
    for decided_flag in [flag, *errors]:
        decided = runner.invoke(
            app, ["review", str(decided_flag.id), "--dismiss", "--note", "known", "--by", "ci", "--db", str(db)]
        )
        assert decided.exit_code == 0, decided.output
    code, out, _ = _run(str(docs), "--db", str(db), "-q", "--force")
    assert code == 0  # every error flag decided on: nothing open at --fail-on error
    assert "5 ok" in out and "(0 new errors; 0 open errors undecided)" in out
    with Store(db) as store:
        again = store.get_flag(flag.id)
        assert again.key == flag.key and again.status.value == "dismissed"
        assert again.decision is not None and again.decision.by == "ci" and again.decision.note == "known"


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, out, err = _run(str(tmp_path / "nowhere"), "--db", str(tmp_path / "recon.db"), "-q")
    assert code == 2
    assert "nowhere: no such file or folder" in err
    assert out == ""
    with Store(tmp_path / "recon.db") as store:
        assert store.runs() == []  # a usage error records no run


def test_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "notes.md").write_text("nothing to read", encoding="utf-8")
    code, _, err = _run(str(inbox), "--db", str(tmp_path / "recon.db"), "-q")
    assert code == 2
    assert "no .txt, .docx, .pdf or .html file to read" in err


UNCOVERED_TEXT = (
    "一、项目资金情况\n"
    "项目“2023年基层医疗机构专项”年初预算金额225万元，年中调增上级转移支付9.05万元，"
    "实际支出228.65万元，2023年结余结转5.4万元。" + "主要用于基层医疗机构运行，保障了群众就医。" * 8 + "\n"
    "二、其他情况\n"
    "本年度我们为群众办了实事，共投入经费12.5万元用于宣传。\n"
)


def test_llm_policy_uncovered_sends_only_chunks_the_rules_left_empty(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.txt").write_text(UNCOVERED_TEXT, encoding="utf-8")
    monkeypatch.setenv("RECON_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("RECON_MODEL", "fake-model")
    monkeypatch.setenv("RECON_CHUNK_CHARS", "200")
    # 12.5万元 is the only amount of the chunk the rules left unplaced: ⟦1⟧ there
    fake_openai.responder = lambda request: answer({"projects": [{"name": "宣传经费", "facts": {"spent": 1}}]})

    code, _, _ = _run(str(docs), "--db", str(tmp_path / "a.db"), "--llm-policy", "uncovered", "--fail-on", "never")
    assert code == 0
    sent = [r.text.rpartition("<chunk>\n")[2] for r in fake_openai.requests]  # the chunk, not the prompt's example
    assert sent and all("12.5" in text and "228.65" not in text for text in sent)
    with Store(tmp_path / "a.db") as store:
        facts = {(row["subject"], row["key"], row["value"]) for row in store.connection.execute("SELECT subject, key, value FROM facts")}
    assert ("2023年基层医疗机构专项", "spent", "228.65") in facts  # read by the rules backend
    assert ("宣传经费", "spent", "12.5") in facts  # read by the model

    calls_before = fake_openai.calls
    code, _, _ = _run(str(docs), "--db", str(tmp_path / "b.db"), "--llm-policy", "all", "--fail-on", "never")
    assert fake_openai.calls - calls_before > len(sent)  # every chunk went to the model


def test_a_layout_nobody_understands_is_warned_about_and_its_coverage_shown(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "odd.txt").write_text("甲乙丙丁共收到款项12万元及8万元，另有3万元待定。\n", encoding="utf-8")
    shutil.copy(SEED_FILES[0], folder / SEED_FILES[0].name)
    code, out, err = _run(str(folder), "--db", str(tmp_path / "r.db"), "--out", str(tmp_path / "out"))
    assert code in (0, 3)
    assert "coverage" in out  # the run table's column
    warnings = [line for line in err.splitlines() if "coverage" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: odd.txt: coverage 0% (0 of 3")
    written = json.loads((tmp_path / "out" / "odd.txt.json").read_text(encoding="utf-8"))
    assert written["extraction"]["coverage"] == {"money_amounts": 3, "placed": 0}
