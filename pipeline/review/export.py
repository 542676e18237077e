"""Export facts and flags from the store as CSV, XLSX or JSON, filtered like `recon flags`.

- CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text correctly.
  One CSV holds one table: `--what both` writes `<stem>.facts.csv` and
  `<stem>.flags.csv`.
- XLSX has one sheet per kind (`facts`, `flags`), a frozen header and filters.
- JSON is one object `{"facts": [...], "flags": [...]}` with the kinds asked for.

Amounts stay exact: `value` is the Decimal as text, never a float. A document is
hostile input, so cells are never formulas: XLSX cells are written as strings,
and CSV cells that a spreadsheet would evaluate (`=`, `+`, `-`, `@` …) get a
leading apostrophe unless they are plain numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from enum import Enum
from pathlib import Path
from typing import Any

from pipeline.errors import ReconError
from pipeline.i18n import phrase
from pipeline.review.review import flag_as_dict
from pipeline.store import FACT_COLUMNS, FlagFilter, Store


class ExportFormat(str, Enum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


class ExportWhat(str, Enum):
    FACTS = "facts"
    FLAGS = "flags"
    BOTH = "both"


FLAG_COLUMNS: tuple[str, ...] = (
    "id", "document", "rule", "severity", "status", "subject", "message", "equation", "values",
    "spans", "key", "first_run", "run_id", "created", "decided_by", "decided_at", "note", "path",
)

_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def fact_rows(store: Store, flag_filter: FlagFilter | None = None) -> list[dict[str, Any]]:
    """Facts of the current documents, optionally of one document name / extracted by one run,
    in document order then text order (`Store.fact_rows`)."""
    flag_filter = flag_filter or FlagFilter()
    rows = store.fact_rows(document=flag_filter.document, run_id=flag_filter.run_id)
    return [dict(zip(FACT_COLUMNS, row, strict=True)) for row in rows]


def flag_rows(store: Store, flag_filter: FlagFilter | None = None) -> list[dict[str, Any]]:
    """Flags as `recon flags --json` gives them (newest first)."""
    return [flag_as_dict(flag) for flag in store.flags(flag_filter)]


def _cell_text(value: Any) -> str:
    """A flat cell: lists joined with `; `, spans as `start-end`, None as empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(
            f"{item['start']}-{item['end']}" if isinstance(item, dict) else str(item) for item in value
        )
    return str(value)


def _csv_safe(text: str) -> str:
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """CSV text (without the BOM) of `rows` in `columns` order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_safe(_cell_text(row.get(column))) for column in columns])
    return buffer.getvalue()


def _write_xlsx(path: Path, sheets: list[tuple[str, tuple[str, ...], list[dict[str, Any]]]]) -> None:
    """Write-only (streaming) workbook: rows go to disk as they are appended, never held as cells."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title)
        # widths and panes must be set before the first row is written
        for index, column in enumerate(columns, start=1):
            longest = max([len(column), *(len(_cell_text(row.get(column))) for row in rows[:200])])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest * 1.6))
        sheet.freeze_panes = "A2"
        if rows:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
        sheet.append(list(columns))
        for row in rows:
            cells: list[Any] = []
            for column in columns:
                value = row.get(column)
                if value is None or (isinstance(value, int) and not isinstance(value, bool)):
                    cells.append(value)
                    continue
                # XLSX cannot hold control characters; they carry nothing a reviewer reads.
                cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", _cell_text(value)))
                cell.data_type = "s"  # never a formula, whatever the document says
                cells.append(cell)
            sheet.append(cells)
    workbook.save(path)


def export(
    store: Store,
    fmt: ExportFormat,
    what: ExportWhat,
    out: Path,
    flag_filter: FlagFilter | None = None,
) -> list[Path]:
    """Write the export and return the files written (two for CSV with `both`)."""
    tables: list[tuple[str, tuple[str, ...], list[dict[str, Any]]]] = []
    if what in (ExportWhat.FACTS, ExportWhat.BOTH):
        tables.append(("facts", FACT_COLUMNS, fact_rows(store, flag_filter)))
    if what in (ExportWhat.FLAGS, ExportWhat.BOTH):
        tables.append(("flags", FLAG_COLUMNS, flag_rows(store, flag_filter)))
    written: list[Path] = []
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt is ExportFormat.JSON:
            payload = {name: rows for name, _, rows in tables}
            out.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            written.append(out)
        elif fmt is ExportFormat.XLSX:
            _write_xlsx(out, tables)
            written.append(out)
        else:
            for name, columns, rows in tables:
                suffix = out.suffix or ".csv"
                target = out if len(tables) == 1 else out.with_name(f"{out.stem}.{name}{suffix}")
                # utf-8-sig writes the BOM that makes Excel read the file as UTF-8.
                target.write_text(to_csv(rows, columns), encoding="utf-8-sig", newline="")
                written.append(target)
    except OSError as exc:
        raise ReconError(phrase("export.cannot_write", path=out, detail=exc.strerror or exc)) from exc
    return written


def default_export_path(out_dir: Path, fmt: ExportFormat, what: ExportWhat) -> Path:
    """`<out_dir>/recon-<what>.<format>`."""
    return out_dir / f"recon-{what.value}.{fmt.value}"
