"""Run orchestration on the seed reports: idempotent re-runs, skips, retries, decisions, lock, JSON out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.errors import ConfigError, StoreError
from pipeline.run import exit_code, process_path, run
from pipeline.settings import Settings, load_settings, redact_argv
from pipeline.store import RunLock, Store
from schemas import DocumentResult, DocumentStatus, Severity
from schemas.stored import FlagStatus, RunCounts, RunStatus

REPO = Path(__file__).resolve().parent.parent
SEED_FILES = sorted((REPO / "samples").glob("*.txt"))


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for seed in SEED_FILES:
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(db_path=tmp_path / "recon.db", out_dir=tmp_path / "out", backend="rules")


def _rows(store: Store) -> tuple[int, int, int]:
    return store.count("facts"), store.count("flags"), store.count("documents")


def test_seeds_are_present() -> None:
    assert len(SEED_FILES) == 5


def test_rerun_skips_unchanged_and_never_duplicates(docs: Path, settings: Settings) -> None:
    with Store(settings.db_path) as store:
        first = run([docs], settings, store, argv=["recon", "run", str(docs)])
        assert [d.status for d in first.documents] == [DocumentStatus.OK] * 5
        facts, flags, documents = _rows(store)
        assert facts > 50 and documents == 5
        assert flags == sum(d.flags or 0 for d in first.documents)

        second = run([docs], settings, store)
        assert [d.status for d in second.documents] == [DocumentStatus.SKIPPED] * 5
        assert _rows(store) == (facts, flags, documents)
        record = store.get_run(second.run_id or 0)
        assert (record.counts.skipped, record.counts.ok, record.counts.new_flags) == (5, 0, 0)
        assert record.counts.flags == flags

        forced = run([docs], settings, store, force=True)
        assert [d.status for d in forced.documents] == [DocumentStatus.OK] * 5
        assert _rows(store) == (facts, flags, documents)
        assert store.get_run(forced.run_id or 0).counts.new_flags == 0
        assert store.count("results") == 5  # the latest result of each document, no history
        assert [r.status for r in store.runs()] == [RunStatus.FINISHED] * 3


def test_changed_file_is_reprocessed(docs: Path, settings: Settings) -> None:
    with Store(settings.db_path) as store:
        run([docs], settings, store)
        target = SEED_FILES[0].name
        with (docs / target).open("a", encoding="utf-8") as handle:
            handle.write("\n补充说明：本年度另有培训经费3.5万元。\n")
        summary = run([docs], settings, store)
        statuses = {d.document: d.status for d in summary.documents}
        assert statuses.pop(target) is DocumentStatus.OK
        assert set(statuses.values()) == {DocumentStatus.SKIPPED}
        stored = store.get_document(docs / target)
        assert stored is not None and stored.last_run == summary.run_id
        # the facts of the old content are gone: each document keeps the facts of its latest content
        shas = {row[0] for row in store.connection.execute(
            "SELECT DISTINCT document_sha FROM facts WHERE path = ?", (str((docs / target).resolve()),)
        )}
        assert shas == {stored.sha256}
        assert store.count("results") == 5


def test_failed_file_is_retried_and_named(docs: Path, settings: Settings) -> None:
    broken = docs / "broken.docx"
    broken.write_bytes(b"this is not a zip archive")
    with Store(settings.db_path) as store:
        first = run([docs], settings, store)
        failed = [d for d in first.documents if d.status is DocumentStatus.FAILED]
        assert [d.document for d in failed] == ["broken.docx"]
        assert failed[0].error is not None and failed[0].error.startswith("broken.docx: ")
        assert exit_code(store.get_run(first.run_id or 0).counts) == 1

        second = run([docs], settings, store)
        again = {d.document: d.status for d in second.documents}
        assert again["broken.docx"] is DocumentStatus.FAILED
        stored = store.get_document(broken.resolve())
        assert stored is not None and stored.status == "failed" and stored.last_run == second.run_id

        shutil.copy(SEED_FILES[0], docs / "fixed.txt")
        broken.unlink()
        third = run([docs], settings, store)
        fixed = {d.document: d.status for d in third.documents}
        assert fixed["fixed.txt"] is DocumentStatus.OK
        assert exit_code(store.get_run(third.run_id or 0).counts, "never") == 0


def test_process_path_never_raises_for_a_bad_file(tmp_path: Path, settings: Settings) -> None:
    missing = process_path(tmp_path / "nowhere.txt", settings)
    assert missing.status is DocumentStatus.FAILED
    assert missing.error is not None and missing.error.startswith("nowhere.txt: ")
    good = process_path(SEED_FILES[1], settings)
    assert good.status is DocumentStatus.OK and good.extraction is not None and good.check is not None
    assert good.backend == "rules"


def test_llm_backend_without_configuration_is_a_config_error(docs: Path, tmp_path: Path) -> None:
    settings = load_settings(db_path=tmp_path / "recon.db", out_dir=tmp_path / "out", backend="llm")
    with Store(settings.db_path) as store, pytest.raises(ConfigError, match="RECON_BASE_URL"):
        run([docs], settings, store)


def _error_flag_with_span(store: Store) -> tuple[int, str, str]:
    for flag in sorted(store.flags(), key=lambda f: (f.document, f.id)):  # the first raised
        if flag.severity is Severity.ERROR and flag.spans and flag.values:
            return flag.id, flag.path, flag.key
    raise AssertionError("the seeds raise no error flag with spans")


def test_decision_survives_rerun_and_reopens_when_numbers_change(docs: Path, settings: Settings) -> None:
    with Store(settings.db_path) as store:
        run([docs], settings, store)
        flag_id, path, key = _error_flag_with_span(store)
        store.decide(flag_id, FlagStatus.DISMISSED, by="tester", note="known rounding")

        forced = run([docs], settings, store, force=True)
        kept = store.get_flag(flag_id)
        assert kept.key == key and kept.status is FlagStatus.DISMISSED
        assert kept.decision is not None and kept.decision.by == "tester"
        assert store.get_run(forced.run_id or 0).counts.new_flags == 0

        # change the first number of the flag in the source: the flag's key changes → open again
        flag = store.get_flag(flag_id)
        span = flag.spans[0]
        source = Path(path)
        text = source.read_text(encoding="utf-8")
        original = text[span.start : span.end]
        changed = ("9" if original[0] != "9" else "8") + original[1:]
        source.write_text(text[: span.start] + changed + text[span.end :], encoding="utf-8")
        run([docs], settings, store)
        current = [f for f in store.flags(document=flag.document) if f.key == key]
        assert current == []  # the old numbers are no longer raised
        reopened = [f for f in store.flags(document=flag.document) if changed in f.values]
        assert reopened and all(f.status is FlagStatus.OPEN for f in reopened)


def test_second_run_refused_while_the_lock_is_held(docs: Path, settings: Settings) -> None:
    with Store(settings.db_path) as store, RunLock(settings.db_path):
        with pytest.raises(
            StoreError, match=r"another recon run \(pid \d+\) holds the lock on recon.db since"
        ):
            run([docs], settings, store)
        assert store.runs() == []


def test_out_json_validates_against_the_printed_schema(docs: Path, settings: Settings) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = DocumentResult.model_json_schema()
    with Store(settings.db_path) as store:
        run([docs], settings, store)
    written = sorted(settings.out_dir.glob("*.json"))
    assert [p.name for p in written] == [f"{seed.name}.json" for seed in SEED_FILES]
    for path in written:
        data = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validate(data, schema)
        result = DocumentResult.model_validate(data)
        assert result.status is DocumentStatus.OK and result.sha256


def test_skipped_run_rewrites_missing_json(docs: Path, settings: Settings) -> None:
    with Store(settings.db_path) as store:
        run([docs], settings, store)
        target = settings.out_dir / f"{SEED_FILES[2].name}.json"
        before = target.read_text(encoding="utf-8")
        target.unlink()
        run([docs], settings, store)
        assert target.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("counts", "fail_on", "expected"),
    [
        pytest.param(RunCounts(documents=2, ok=2), "error", 0, id="all-good"),
        pytest.param(
            RunCounts(documents=2, ok=1, failed=1, new_error=1, open_error=1), "error", 1, id="failed-wins"
        ),
        pytest.param(RunCounts(documents=1, ok=1, new_error=2, open_error=2), "error", 3, id="new-errors"),
        pytest.param(RunCounts(documents=1, skipped=1, open_error=2), "error", 3, id="open-errors-raised-before"),
        pytest.param(RunCounts(documents=1, ok=1, new_error=2), "error", 0, id="new-but-decided"),
        pytest.param(RunCounts(documents=1, ok=1, open_warning=1), "error", 0, id="warning-below-error"),
        pytest.param(RunCounts(documents=1, ok=1, open_warning=1), "warning", 3, id="warning-at-warning"),
        pytest.param(RunCounts(documents=1, ok=1, open_info=1), "warning", 0, id="info-below-warning"),
        pytest.param(RunCounts(documents=1, ok=1, open_error=1), "never", 0, id="never"),
    ],
)
def test_exit_code(counts: RunCounts, fail_on: str, expected: int) -> None:
    assert exit_code(counts, fail_on) == expected  # type: ignore[arg-type]


def test_redact_argv_hides_api_keys() -> None:
    argv = ["recon", "run", "--api-key", "sk-secret", "--api-key=sk-other", "docs"]
    assert redact_argv(argv) == ["recon", "run", "--api-key", "***", "--api-key=***", "docs"]
