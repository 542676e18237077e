"""`recon eval` and `recon gold draft` through the real CLI app (typer CliRunner, rules backend)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli.main import app
from pipeline.evaluation.gold import load_gold

runner = CliRunner()

TEXT = (
    "株洲市某局2023年度部门整体支出绩效自评报告\n"
    "一、基本情况\n"
    "2023年度总支出100.5万元，其中：项目支出80.5万元，基本支出20万元。\n"
    "二、项目情况\n"
    "1、项目“医务人员临时性工作补助”年初预算0万元，年中调增上级转移支付35.37万元，实际支出35.37万元，结余结转0万元。\n"
    "2、项目“2023年三支一扶项目”年初预算23万元，年中调增上级转移支付5万元，实际支出28万元，结余结转0万元。\n"
)


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    docs, gold = tmp_path / "docs", tmp_path / "gold"
    docs.mkdir()
    gold.mkdir()
    (docs / "t.txt").write_text(TEXT, encoding="utf-8")
    return docs, gold


def _draft(docs: Path, gold: Path) -> Path:
    target = gold / "t.gold.json"
    result = runner.invoke(
        app, ["gold", "draft", str(docs / "t.txt"), "--out", str(target), "--backend", "rules"]
    )
    assert result.exit_code == 0, result.output
    return target


def _eval(docs: Path, gold: Path, *extra: str) -> Any:
    return runner.invoke(
        app, ["eval", "--docs", str(docs), "--gold", str(gold), "--backend", "rules", *extra]
    )


def test_draft_is_refused_then_scores_perfectly_against_its_own_extraction(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, gold = corpus
    target = _draft(docs, gold)
    drafted = load_gold(target)
    assert drafted.draft and drafted.projects, "the draft must carry what the rules backend extracted"
    assert json.loads(target.read_text(encoding="utf-8"))["draft"] is True

    refused = _eval(docs, gold)
    assert refused.exit_code == 2
    assert "draft" in refused.output and "t.gold.json" in refused.output

    out = tmp_path / "eval.json"
    accepted = _eval(docs, gold, "--allow-draft", "--json", str(out))
    assert accepted.exit_code == 0, accepted.output
    assert "projects F1" in accepted.output
    report = json.loads(out.read_text(encoding="utf-8"))
    document = report["documents"]["t.txt"]
    assert document["projects"]["f1"] == 1.0
    assert document["breakdowns"]["f1"] == 1.0
    assert report["overall"]["grounding"]["exact"] == 1.0
    assert report["overall"]["grounding"]["checked"] > 0
    assert [e for e in report["errors"] if e["kind"] != "unit_mismatch"] == []


def test_draft_never_overwrites(corpus: tuple[Path, Path]) -> None:
    docs, gold = corpus
    target = _draft(docs, gold)
    before = target.read_bytes()
    again = runner.invoke(
        app, ["gold", "draft", str(docs / "t.txt"), "--out", str(target), "--backend", "rules"]
    )
    assert again.exit_code == 2
    assert target.read_bytes() == before


def _finalise_with_wrong_spent(target: Path) -> str:
    """Turn the draft into checked gold, but with one project's `spent` changed: one wrong_value."""
    data = json.loads(target.read_text(encoding="utf-8"))
    data.pop("draft")
    project = data["projects"][0]
    original = project["facts"]["spent"]
    project["facts"]["spent"] = "999.99"
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(project["name"]) + ".spent" if original != "999.99" else ""


def test_floor_fails_with_the_figures_below_it_and_errors_name_the_fact(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, gold = corpus
    what = _finalise_with_wrong_spent(_draft(docs, gold))
    floor = tmp_path / "floor.json"
    floor.write_text(json.dumps({"projects.f1": 0.99, "grounding.exact": 1.0}), encoding="utf-8")
    out = tmp_path / "eval.json"
    result = _eval(docs, gold, "--floor", str(floor), "--json", str(out))
    assert result.exit_code == 1
    assert (
        "projects.f1" in result.output and "grounding.exact" not in result.output.split("below the floor")[1]
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    wrong = [e for e in report["errors"] if e["kind"] == "wrong_value"]
    assert [(e["what"], e["gold"]) for e in wrong] == [(what, "999.99万元")]

    floor.write_text(json.dumps({"projects.f1": 0.5}), encoding="utf-8")
    assert _eval(docs, gold, "--floor", str(floor)).exit_code == 0


def test_compare_shows_the_fix(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    docs, gold = corpus
    target = _draft(docs, gold)
    pristine = target.read_text(encoding="utf-8")
    _finalise_with_wrong_spent(target)
    before = tmp_path / "before.json"
    assert _eval(docs, gold, "--json", str(before)).exit_code == 0
    data = json.loads(pristine)
    data.pop("draft")
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = _eval(docs, gold, "--compare", str(before))
    assert result.exit_code == 0, result.output
    assert "▲" in result.output
    assert "fixed: 1" in result.output


def test_malformed_gold_names_file_and_path(corpus: tuple[Path, Path]) -> None:
    docs, gold = corpus
    target = gold / "t.gold.json"
    target.write_text(
        json.dumps(
            {
                "format": "recon-gold/1",
                "document": "t.txt",
                "projects": [{"name": "甲", "facts": {"spent": 1}}],
            }
        ),
        encoding="utf-8",
    )
    result = _eval(docs, gold)
    assert result.exit_code == 2
    assert "t.gold.json" in result.output and "projects[0].facts.spent" in result.output


def test_eval_of_a_stored_run_matches_a_fresh_eval(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    docs, gold = corpus
    _finalise_with_wrong_spent(_draft(docs, gold))
    db = tmp_path / "recon.db"
    stored = runner.invoke(app, ["run", str(docs), "--db", str(db), "--backend", "rules", "--quiet"])
    assert stored.exit_code in (0, 3), stored.output
    fresh, from_run = tmp_path / "fresh.json", tmp_path / "run.json"
    assert _eval(docs, gold, "--json", str(fresh)).exit_code == 0
    result = runner.invoke(
        app,
        [
            "eval",
            "--docs",
            str(docs),
            "--gold",
            str(gold),
            "--run",
            "1",
            "--db",
            str(db),
            "--json",
            str(from_run),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(from_run.read_text())["overall"] == json.loads(fresh.read_text())["overall"]
    # a second run skips the unchanged file; its eval reads the last good result instead
    again = runner.invoke(app, ["run", str(docs), "--db", str(db), "--backend", "rules", "--quiet"])
    assert again.exit_code == 0, again.output
    skipped = runner.invoke(
        app,
        [
            "eval",
            "--docs",
            str(docs),
            "--gold",
            str(gold),
            "--run",
            "2",
            "--db",
            str(db),
            "--json",
            str(from_run),
        ],
    )
    assert skipped.exit_code == 0, skipped.output
    assert json.loads(from_run.read_text())["overall"] == json.loads(fresh.read_text())["overall"]
    missing = runner.invoke(
        app, ["eval", "--docs", str(docs), "--gold", str(gold), "--run", "99", "--db", str(db)]
    )
    assert missing.exit_code == 4 and "no run 99" in missing.output


def test_check_gold_prints_and_writes_the_checker_on_gold_figures(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, gold = corpus
    target = _draft(docs, gold)
    data = json.loads(target.read_text(encoding="utf-8"))
    data.pop("draft")
    # an inconsistency the gold facts do not show: the checker on gold must miss it
    data["inconsistencies"] = [{"rule": "date", "subject": "不存在的项目", "values": ["2033"]}]
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "eval.json"
    plain = _eval(docs, gold, "--json", str(out))
    assert plain.exit_code == 0 and "check-gold" not in plain.output
    assert json.loads(out.read_text(encoding="utf-8"))["overall"]["check_gold"] is None
    checked = _eval(docs, gold, "--check-gold", "--json", str(out))
    assert checked.exit_code == 0, checked.output
    assert "check-gold F1" in checked.output and "checker on gold facts" in checked.output
    check_gold = json.loads(out.read_text(encoding="utf-8"))["overall"]["check_gold"]
    assert check_gold["gold"] == 1 and check_gold["recall"] == 0.0
