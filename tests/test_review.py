"""`recon flags/show/review`: filters, JSON shape, flags shown in source context, decisions that last."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import typer
from _review_data import (
    FLOW_EQUATION,
    HOSTILE_NAME,
    HOSTILE_TEXT,
    Sample,
    hostile_result,
    make_sample,
    store_run,
)
from rich.console import Console
from typer.testing import CliRunner

from pipeline.cli.review import NUMBER_STYLE, passage_text, register, render_view
from pipeline.review.review import (
    FlagFilter,
    FlagNotFoundError,
    passages,
    reviewer_name,
    show_flag,
)
from pipeline.store import Store
from schemas import Rule, Severity, Span
from schemas.stored import FlagStatus


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path)


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def _flag_id(sample: Sample, rule: Rule) -> int:
    with Store(sample.db_path) as store:
        return next(f.id for f in store.flags() if f.rule is rule)


@pytest.mark.parametrize(
    ("flag_filter", "expected_rules"),
    [
        pytest.param(FlagFilter(), {"flow_identity", "breakdown_sum", "ratio"}, id="all"),
        pytest.param(FlagFilter(rule=Rule.RATIO), {"ratio"}, id="rule"),
        pytest.param(FlagFilter(severity=Severity.ERROR), {"flow_identity"}, id="severity"),
        pytest.param(FlagFilter(document="hostile.txt"), {"flow_identity", "breakdown_sum"}, id="document"),
        pytest.param(FlagFilter(status=FlagStatus.CONFIRMED), set(), id="status-none-yet"),
        pytest.param(FlagFilter(run_id=999), set(), id="other-run"),
        pytest.param(FlagFilter(document="hostile.txt", severity=Severity.INFO), set(), id="combined"),
    ],
)
def test_list_flags_filters(sample: Sample, flag_filter: FlagFilter, expected_rules: set[str]) -> None:
    with Store(sample.db_path) as store:
        flags = store.flags(flag_filter)
    assert {f.rule.value for f in flags} == expected_rules
    assert len(flags) == len(expected_rules)


def test_list_flags_newest_first_and_run_filter(sample: Sample) -> None:
    with Store(sample.db_path) as store:
        flags = store.flags()
        ids = [f.id for f in flags]
        assert ids == sorted(ids, reverse=True)
        assert len(store.flags(FlagFilter(run_id=sample.run_id))) == 3


def test_flags_json_shape(sample: Sample, app: typer.Typer) -> None:
    args = ["flags", "--db", str(sample.db_path), "--json", "--rule", "flow_identity"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "\\u" not in result.stdout  # Chinese printed as itself
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 1
    flag = data[0]
    for key in ("id", "rule", "severity", "status", "document", "subject", "message", "equation", "values"):
        assert key in flag
    assert flag["rule"] == "flow_identity"
    assert flag["status"] == "open"
    assert flag["document"] == "hostile.txt"
    assert flag["subject"] == HOSTILE_NAME
    assert flag["equation"] == FLOW_EQUATION
    assert flag["values"] == ["100", "90", "5"]


def test_flags_table_lists_every_flag(sample: Sample, app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["flags", "--db", str(sample.db_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "3 flag(s)" in result.stdout
    assert FLOW_EQUATION in result.stdout
    for rule in ("flow_identity", "breakdown_sum", "ratio"):
        assert rule in result.stdout


def test_flags_rejects_unknown_status(sample: Sample, app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["flags", "--db", str(sample.db_path), "--status", "maybe"])
    assert result.exit_code == 2


def test_missing_database_is_an_error_not_created(tmp_path: Path, app: typer.Typer) -> None:
    db = tmp_path / "none.db"
    result = CliRunner().invoke(app, ["flags", "--db", str(db)])
    assert result.exit_code == 4
    assert "no database" in result.stderr
    assert not db.exists()


def test_passages_merge_and_stay_on_the_line() -> None:
    text = "前面很长的一句话，与这个数字无关。\n本年度年初预算100万元，实际支出90万元。\n第三行"
    first = text.index("100")
    second = text.index("90")
    found = passages(text, [Span(start=first, end=first + 3), Span(start=second, end=second + 2)], radius=5)
    assert len(found) == 1
    passage = found[0]
    assert "\n" not in passage.text  # the window did not reach the line start: no line before
    assert [passage.text[s:e] for s, e in passage.highlights] == ["100", "90"]
    assert passages(text, [Span(start=500, end=503)]) == []


def test_passage_reaching_the_line_start_keeps_the_label_line_before() -> None:
    text = "其他内容\n调查学生人数：\n2828名，其中幼儿园174人。\n第四行"
    start = text.index("2828")
    (passage,) = passages(text, [Span(start=start, end=start + 4)], radius=40)
    assert passage.text.startswith("调查学生人数：\n2828名")  # not the line before that, nor line 4
    assert "其他内容" not in passage.text and "第四行" not in passage.text
    assert [passage.text[s:e] for s, e in passage.highlights] == ["2828"]
    blank = "上一段\n\n2828名学生"
    (alone,) = passages(blank, [Span(start=blank.index("2828"), end=blank.index("2828") + 4)])
    assert alone.text == "2828名学生"  # an empty line before adds nothing


def test_show_prints_numbers_highlighted_equation_and_skipped(sample: Sample, app: typer.Typer) -> None:
    flag_id = _flag_id(sample, Rule.FLOW_IDENTITY)
    result = CliRunner().invoke(app, ["show", str(flag_id), "--db", str(sample.db_path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert FLOW_EQUATION in out
    assert "年初预算100万元，实际支出90万元，结余结转5万元" in out
    assert "execution_rate stated without spending" in out  # the skipped ratio check of the same project
    with Store(sample.db_path) as store:
        view = show_flag(store, flag_id)
    assert view.source_problem is None
    assert len(view.passages) == 1
    styled = passage_text(view.passages[0])
    highlighted = [styled.plain[s.start:s.end] for s in styled.spans if s.style == NUMBER_STYLE]
    assert highlighted == ["100", "90", "5"]
    console = Console(record=True, force_terminal=True, color_system="standard", width=200)
    for line in render_view(view):
        console.print(line)
    ansi = console.export_text(styles=True)
    assert "\x1b[1;30;43m100\x1b[0m" in ansi  # bold black on yellow


def test_show_says_when_the_source_changed(sample: Sample, app: typer.Typer) -> None:
    flag_id = _flag_id(sample, Rule.FLOW_IDENTITY)
    sample.hostile_path.write_text(HOSTILE_TEXT.replace("100", "110"), encoding="utf-8")
    result = CliRunner().invoke(app, ["show", str(flag_id), "--db", str(sample.db_path)])
    assert result.exit_code == 0, result.output
    assert "source changed since the run" in result.stdout
    assert FLOW_EQUATION in result.stdout


def test_show_unknown_flag(sample: Sample, app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["show", "4242", "--db", str(sample.db_path)])
    assert result.exit_code == 1
    assert "no flag with id 4242" in result.stderr
    with Store(sample.db_path) as store, pytest.raises(FlagNotFoundError):
        show_flag(store, 4242)


def test_review_records_who_and_when(sample: Sample, app: typer.Typer) -> None:
    flag_id = _flag_id(sample, Rule.FLOW_IDENTITY)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = CliRunner().invoke(
        app,
        ["review", str(flag_id), "--confirm", "--by", "张三", "--note", "差5万元",
         "--db", str(sample.db_path)],
    )
    assert result.exit_code == 0, result.output
    with Store(sample.db_path) as store:
        flag = store.get_flag(flag_id)
        confirmed = store.flags(FlagFilter(status=FlagStatus.CONFIRMED))
    assert flag.status is FlagStatus.CONFIRMED
    assert flag.decision is not None
    assert flag.decision.by == "张三"
    assert flag.decision.note == "差5万元"
    at = datetime.fromisoformat(flag.decision.at)
    assert at.tzinfo is not None and at.utcoffset() == timezone.utc.utcoffset(None)
    assert before <= at <= datetime.now(timezone.utc)
    assert [f.id for f in confirmed] == [flag_id]


def test_review_by_defaults_to_env_then_login(
    sample: Sample, app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECON_REVIEWER", "reviewer-env")
    flag_id = _flag_id(sample, Rule.RATIO)
    result = CliRunner().invoke(app, ["review", str(flag_id), "--dismiss", "--db", str(sample.db_path)])
    assert result.exit_code == 0, result.output
    assert "dismissed by reviewer-env" in result.stdout
    monkeypatch.delenv("RECON_REVIEWER")
    monkeypatch.setenv("USER", "login-name")
    monkeypatch.setenv("LOGNAME", "login-name")
    assert reviewer_name(None) == "login-name"
    assert reviewer_name("explicit") == "explicit"


def test_review_needs_exactly_one_decision(sample: Sample, app: typer.Typer) -> None:
    flag_id = _flag_id(sample, Rule.RATIO)
    for args in ([], ["--confirm", "--dismiss"]):
        result = CliRunner().invoke(app, ["review", str(flag_id), *args, "--db", str(sample.db_path)])
        assert result.exit_code == 2
        assert "exactly one" in result.stderr
    with Store(sample.db_path) as store:
        assert store.get_flag(flag_id).status is FlagStatus.OPEN


def test_decision_survives_rerun_and_changed_numbers_reopen(sample: Sample, app: typer.Typer) -> None:
    flag_id = _flag_id(sample, Rule.FLOW_IDENTITY)
    runner = CliRunner()
    decided = runner.invoke(app, ["review", str(flag_id), "--dismiss", "--db", str(sample.db_path)])
    assert decided.exit_code == 0, decided.output
    second_run = store_run(sample.db_path, [sample.hostile_result, sample.plain_result])
    with Store(sample.db_path) as store:
        again = store.get_flag(flag_id)
        assert again.status is FlagStatus.DISMISSED
        assert again.run_id == second_run
    # the document now states 110: the flow flag has other numbers, so it is a new, open flag
    sample.hostile_path.write_text(HOSTILE_TEXT.replace("预算100", "预算110"), encoding="utf-8")
    changed = hostile_result(sample.hostile_path)
    assert changed.check is not None
    flow = changed.check.flags[0].model_copy(update={"values": ["110", "90", "5"]})
    changed = changed.model_copy(
        update={"check": changed.check.model_copy(update={"flags": [flow, *changed.check.flags[1:]]})}
    )
    store_run(sample.db_path, [changed])
    with Store(sample.db_path) as store:
        flows = store.flags(FlagFilter(rule=Rule.FLOW_IDENTITY))
    assert len(flows) == 1
    assert flows[0].values == ["110", "90", "5"]
    assert flows[0].status is FlagStatus.OPEN
    assert flows[0].id != flag_id


def test_commands_are_registered_on_the_recon_app(sample: Sample) -> None:
    from pipeline.cli.main import app as recon_app

    result = CliRunner().invoke(recon_app, ["flags", "--db", str(sample.db_path), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 3
    for command in ("show", "review", "export", "report"):
        assert CliRunner().invoke(recon_app, [command, "--help"]).exit_code == 0
