"""`recon export`: CSV (BOM, Chinese intact, no formulas), XLSX (a sheet per kind), JSON, filters."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from _review_data import FLOW_EQUATION, HOSTILE_NAME, IMG_NAME, Sample, make_sample
from openpyxl import load_workbook
from typer.testing import CliRunner

from pipeline.cli.review import register
from pipeline.review.export import ExportFormat, ExportWhat, export, to_csv
from pipeline.review.review import FlagFilter
from pipeline.store import Store
from schemas import Severity


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path)


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def _export(sample: Sample, fmt: ExportFormat, what: ExportWhat, out: Path, **filters: object) -> list[Path]:
    with Store(sample.db_path) as store:
        return export(store, fmt, what, out, FlagFilter(**filters))  # type: ignore[arg-type]


def test_csv_has_bom_and_chinese_round_trips(sample: Sample, tmp_path: Path) -> None:
    written = _export(sample, ExportFormat.CSV, ExportWhat.BOTH, tmp_path / "out" / "recon.csv")
    assert [p.name for p in written] == ["recon.facts.csv", "recon.flags.csv"]
    facts_path, flags_path = written
    assert facts_path.read_bytes().startswith(b"\xef\xbb\xbf")
    with facts_path.open(encoding="utf-8-sig", newline="") as handle:
        facts = list(csv.DictReader(handle))
    subjects = {row["subject"] for row in facts}
    assert {HOSTILE_NAME, "培训人数", "实际支出"} <= subjects
    spent = next(r for r in facts if r["subject"] == HOSTILE_NAME and r["key"] == "spent")
    assert (spent["value"], spent["unit"], spent["document"]) == ("90", "万元", "hostile.txt")
    transfer = next(r for r in facts if r["key"] == "transfer_in")
    assert transfer["value"] == "9.05"  # exact, never a float
    assert IMG_NAME in subjects  # quotes and angle brackets survive the CSV quoting untouched
    with flags_path.open(encoding="utf-8-sig", newline="") as handle:
        flags = list(csv.DictReader(handle))
    assert len(flags) == 3
    flow = next(r for r in flags if r["rule"] == "flow_identity")
    assert flow["equation"] == FLOW_EQUATION
    assert flow["values"] == "100; 90; 5"
    assert flow["subject"] == HOSTILE_NAME


def test_csv_never_writes_a_formula() -> None:
    row_in = {"a": '=HYPERLINK("http://x")', "b": "-5", "c": "@SUM(A1)", "d": "正常"}
    text = to_csv([row_in], ("a", "b", "c", "d"))
    row = next(csv.reader(text.splitlines()[1:]))
    assert row == ["'=HYPERLINK(\"http://x\")", "-5", "'@SUM(A1)", "正常"]


def test_xlsx_one_sheet_per_kind(sample: Sample, tmp_path: Path) -> None:
    out = tmp_path / "recon.xlsx"
    assert _export(sample, ExportFormat.XLSX, ExportWhat.BOTH, out) == [out]
    workbook = load_workbook(out)
    try:
        assert workbook.sheetnames == ["facts", "flags"]
        facts = list(workbook["facts"].iter_rows(values_only=True))
        flags = list(workbook["flags"].iter_rows(values_only=True))
    finally:
        workbook.close()
    header = facts[0]
    assert header[:6] == ("document", "path", "kind", "subject", "key", "value")
    rows = [dict(zip(header, row, strict=True)) for row in facts[1:]]
    assert any(r["subject"] == "培训人数" and r["key"] == "rate" and r["value"] == "95" for r in rows)
    assert any(r["subject"] == HOSTILE_NAME for r in rows)
    flag_rows = [dict(zip(flags[0], row, strict=True)) for row in flags[1:]]
    assert {r["rule"] for r in flag_rows} == {"flow_identity", "breakdown_sum", "ratio"}
    assert all(isinstance(r["id"], int) for r in flag_rows)


def test_xlsx_cell_starting_with_equals_stays_text(tmp_path: Path) -> None:
    from pipeline.review.export import _write_xlsx

    out = tmp_path / "f.xlsx"
    _write_xlsx(out, [("flags", ("equation",), [{"equation": "=1+1"}])])
    workbook = load_workbook(out)
    try:
        cell = workbook["flags"]["A2"]
        assert cell.value == "=1+1"
        assert cell.data_type == "s"
    finally:
        workbook.close()


def test_json_export_parses_and_filters(sample: Sample, tmp_path: Path) -> None:
    out = tmp_path / "recon.json"
    _export(sample, ExportFormat.JSON, ExportWhat.FLAGS, out, severity=Severity.ERROR)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data) == ["flags"]
    assert [f["rule"] for f in data["flags"]] == ["flow_identity"]
    assert data["flags"][0]["values"] == ["100", "90", "5"]
    _export(sample, ExportFormat.JSON, ExportWhat.FACTS, out, document="plain.txt")
    facts = json.loads(out.read_text(encoding="utf-8"))["facts"]
    assert {f["document"] for f in facts} == {"plain.txt"}
    assert sorted(f["key"] for f in facts) == ["actual", "rate", "target"]


def test_export_command_writes_default_path(sample: Sample, app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["export", "--format", "json", "--what", "both", "--db", str(sample.db_path)]
    )
    assert result.exit_code == 0, result.output
    expected = tmp_path / "recon-both.json"  # RECON_HOME is tmp_path (conftest); recon-out/ is for results
    assert f"wrote {expected}" in result.stdout
    data = json.loads(expected.read_text(encoding="utf-8"))
    assert len(data["flags"]) == 3
    assert len(data["facts"]) == 13


def test_export_command_csv_single_kind(sample: Sample, app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "flags.csv"
    result = CliRunner().invoke(
        app,
        ["export", "--what", "flags", "--rule", "ratio", "--out", str(out), "--db", str(sample.db_path)],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["subject"] for r in rows] == ["培训人数"]
