"""A hostile inbox must not stop the night (issue 14): every case built at test time.

Links (loops, dangling, to devices, to folders), FIFOs, zip bombs, clashing names,
bad bytes, Traditional Chinese, escape sequences, provider errors echoing a key,
SIGTERM, exit 3 after killed or failed runs, and a database in a read-only folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, fake_openai, status
from hostile_inbox import (
    BAD_ENTRIES,
    ESCAPE_NAME,
    SAMPLE_DOCX,
    SAMPLES,
    TRADITIONAL_TEXT,
    build,
    claim_size,
    header_bomb,
    ratio_bomb,
    rezip,
    with_bad_byte,
)
from typer.testing import CliRunner

from pipeline.cli.main import app
from pipeline.errors import IngestError
from pipeline.ingest.formats import TRADITIONAL_WARNING, ZipLimits, decode_text, docx_text
from pipeline.ingest.read import NOT_REGULAR_REASON, discover, ingest, read_source
from pipeline.run import run
from pipeline.settings import load_settings
from pipeline.store import RunLock, Store
from schemas import DocumentStatus, Severity
from schemas.stored import FlagStatus, RunStatus

REPO = Path(__file__).resolve().parent.parent
SEED_TXT = [p for p in SAMPLES if p.suffix == ".txt"]
runner = CliRunner()
__all__ = ["fake_openai"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def _recon(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`recon ARGS` in its own process, with a timeout so a hang fails the test instead of CI."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _failed_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("failed: ")]


# --------------------------------------------------------------------------- the whole inbox


def test_hostile_inbox_processes_every_sample_and_names_each_bad_entry_once(tmp_path: Path) -> None:
    inbox = build(tmp_path / "inbox")
    db, out = tmp_path / "recon.db", tmp_path / "out"
    done = _recon("run", str(inbox), "--db", str(db), "--out", str(out), "--backend", "rules")
    assert done.returncode == 1, done.stderr
    failed = _failed_lines(done.stderr)
    assert len(failed) == len(BAD_ENTRIES), "\n".join(failed)
    for entry in BAD_ENTRIES:
        naming = [line for line in failed if f"{entry}: " in line]
        assert len(naming) == 1, (entry, failed)
    assert "Traceback" not in done.stderr
    with Store(db) as store:
        (record,) = store.runs()
        assert record.status is RunStatus.FINISHED
        documents = {d.name: d.status for d in store.documents()}
    for sample in SAMPLES:
        assert documents[f"samples/{sample.name}"] == "ok"
        assert (out / "samples" / f"{sample.name}.json").exists()
    for ok in ("a/report.txt", "b/report.txt", "badbyte.txt", "traditional.txt", "linked/linked.txt"):
        assert documents[ok] == "ok", ok
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout + done.stderr
    assert "evil\\x1b[2J\\x1b]0;pwned\\x07[red]x.txt" in done.stdout  # shown, markup and all


# --------------------------------------------------------------------------- links, FIFOs, devices


def test_symlink_loops_are_one_entry_each_and_the_rest_is_found(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    shutil.copy(SEED_TXT[0], inbox / "sub" / "good.txt")
    os.symlink("loop.txt", inbox / "loop.txt")
    os.symlink("b.txt", inbox / "a.txt")
    os.symlink("a.txt", inbox / "b.txt")
    os.symlink("..", inbox / "sub" / "up")
    files, errors = discover([inbox])
    assert [f.document for f in files] == ["sub/good.txt"]
    reasons = {Path(e.path).name: e.reason for e in errors}
    assert set(reasons) == {"loop.txt", "a.txt", "b.txt", "up"}
    assert all("symbolic link loop" in reason for reason in reasons.values())


def test_fifo_and_device_links_are_never_opened(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.mkfifo(inbox / "x.txt")
    os.symlink("/dev/zero", inbox / "zero.txt")
    os.symlink("/dev/urandom", inbox / "random.html")
    shutil.copy(SEED_TXT[1], inbox / "good.txt")
    files, errors = discover([inbox])
    assert [f.document for f in files] == ["good.txt"]
    assert {Path(e.path).name: e.reason for e in errors} == dict.fromkeys(
        ("random.html", "x.txt", "zero.txt"), NOT_REGULAR_REASON.english
    )
    with pytest.raises(IngestError, match="not a regular file"):
        read_source(inbox / "x.txt", 1000)  # no writer: opening it for reading would block forever
    done = _recon(
        "run",
        str(inbox / "x.txt"),
        str(inbox / "good.txt"),
        "--db",
        str(tmp_path / "r.db"),
        "--out",
        str(tmp_path / "out"),
        "--backend",
        "rules",
        "-q",
        timeout=120,
    )
    assert done.returncode == 1
    assert _failed_lines(done.stderr) == [f"failed: {inbox / 'x.txt'}: {NOT_REGULAR_REASON.english}"]


def test_dangling_link_is_reported_under_its_own_name(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.symlink("target-that-is-gone.txt", inbox / "report.txt")
    files, errors = discover([inbox])
    assert files == []
    (error,) = errors
    assert error.path == str(inbox / "report.txt")
    assert error.reason == "broken symbolic link (its target target-that-is-gone.txt does not exist)"


def test_linked_folders_are_followed_once(tmp_path: Path) -> None:
    inbox, outside = tmp_path / "inbox", tmp_path / "elsewhere"
    (inbox / "real").mkdir(parents=True)
    outside.mkdir()
    shutil.copy(SEED_TXT[0], inbox / "real" / "a.txt")
    shutil.copy(SEED_TXT[1], outside / "b.txt")
    os.symlink(inbox / "real", inbox / "same-as-real")  # a second way to the same folder
    os.symlink(outside, inbox / "linked")
    files, errors = discover([inbox])
    assert errors == []
    assert [f.document for f in files] == ["linked/b.txt", "real/a.txt"]


def test_office_formats_are_named_once_each(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("a.doc", "b.wps", "c.xls", "d.xlsx", "e.et", "notes.md", "photo.jpg"):
        (inbox / name).write_bytes(b"x")
    _, errors = discover([inbox, inbox / "a.doc"])
    assert sorted(Path(e.path).name for e in errors) == ["a.doc", "b.wps", "c.xls", "d.xlsx", "e.et"]
    assert all("is not read" in e.reason for e in errors)


# --------------------------------------------------------------------------- size before reading


def test_size_is_checked_before_the_file_is_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(5_000)
    opened: list[object] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda *args, **kwargs: opened.append(args) or real_open(*args, **kwargs))
    with pytest.raises(IngestError, match="file too large"):
        read_source(big, 1_000)
    assert opened == []


def test_reading_stops_at_the_limit_when_the_file_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.txt"
    path.write_bytes(b"x" * 5_000)
    real_fstat = os.fstat

    class _Small:
        def __init__(self, result: os.stat_result) -> None:
            self.st_mode, self.st_size = result.st_mode, 10

    monkeypatch.setattr(os, "fstat", lambda fd: _Small(real_fstat(fd)))  # as if it was 10 bytes when opened
    monkeypatch.setattr(Path, "stat", lambda self, **kw: _Small(os.lstat(self)))
    with pytest.raises(IngestError, match="grew past the limit"):
        read_source(path, 100)


# --------------------------------------------------------------------------- zip bombs


def test_a_member_compressed_1000_to_1_is_refused_before_decompressing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import zipfile

    def no_decompressing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was opened")

    bomb = ratio_bomb(2)
    monkeypatch.setattr(zipfile.ZipFile, "open", no_decompressing)
    with pytest.raises(IngestError, match=r"compressed \d+:1 \(limit 100:1.*zip bomb"):
        docx_text("bomb.docx", bomb)


def test_declared_sizes_are_summed_before_decompressing() -> None:
    with pytest.raises(IngestError, match=r"unpack to 4296 MB \(limit 100 MB"):
        docx_text("claims.docx", header_bomb())


def test_a_member_that_lies_about_its_size_is_corrupt_not_a_memory_blowup() -> None:
    # document.xml declares 1000 bytes: zipfile inflates no further and the CRC check fails
    lying = claim_size(SAMPLE_DOCX.read_bytes(), "word/document.xml", 1000)
    with pytest.raises(IngestError, match="corrupt DOCX"):
        docx_text("lying.docx", lying)


def test_zip_limits_come_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.run import process_path

    path = tmp_path / "report.docx"
    shutil.copy(SAMPLE_DOCX, path)
    settings = load_settings(backend="rules")
    assert process_path(path, settings).status is DocumentStatus.OK  # the defaults fit a real report
    monkeypatch.setenv("RECON_MAX_UNZIPPED_BYTES", "10000")
    refused = process_path(path, load_settings(backend="rules"))
    assert refused.status is DocumentStatus.FAILED
    assert refused.error is not None and "limit 0 MB, RECON_MAX_UNZIPPED_BYTES" in refused.error
    path.write_bytes(rezip(SAMPLE_DOCX.read_bytes(), {"word/media/x.bin": bytes(1_500_000)}))
    monkeypatch.setenv("RECON_MAX_UNZIPPED_BYTES", "100000000")
    monkeypatch.setenv("RECON_MAX_ZIP_RATIO", "5000")
    assert process_path(path, load_settings(backend="rules")).status is DocumentStatus.OK
    assert ZipLimits().max_ratio == 100


# --------------------------------------------------------------------------- same names, different folders


def test_same_file_name_in_two_folders_are_two_documents(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    for folder in ("north", "south"):
        (inbox / folder).mkdir(parents=True)
        shutil.copy(SEED_TXT[0], inbox / folder / "report.txt")  # the same flags in both
    db, out = tmp_path / "recon.db", tmp_path / "out"
    first = runner.invoke(app, ["run", str(inbox), "--db", str(db), "--out", str(out), "--backend", "rules"])
    assert "north/report.txt" in first.stdout and "south/report.txt" in first.stdout
    north = json.loads((out / "north" / "report.txt.json").read_text(encoding="utf-8"))
    south = json.loads((out / "south" / "report.txt.json").read_text(encoding="utf-8"))
    assert (north["document"], south["document"]) == ("north/report.txt", "south/report.txt")
    listed = runner.invoke(app, ["flags", "--document", "north/report.txt", "--json", "--db", str(db)])
    north_flags = json.loads(listed.stdout)
    assert north_flags and {f["document"] for f in north_flags} == {"north/report.txt"}
    decided = runner.invoke(
        app, ["review", str(north_flags[0]["id"]), "--dismiss", "--by", "t", "--db", str(db)]
    )
    assert decided.exit_code == 0, decided.output
    with Store(db) as store:
        same_key = [f for f in store.flags() if f.key == north_flags[0]["key"]]
    assert {(f.document, f.status) for f in same_key} == {
        ("north/report.txt", FlagStatus.DISMISSED),
        ("south/report.txt", FlagStatus.OPEN),
    }


def test_decisions_recorded_under_a_bare_file_name_are_kept(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    shutil.copy(SEED_TXT[0], inbox / "sub" / "report.txt")
    settings = load_settings(db_path=tmp_path / "recon.db", out_dir=tmp_path / "out", backend="rules")
    with Store(settings.db_path) as store:
        run([inbox], settings, store)
        flag = store.flags()[0]
        # what an earlier recon wrote: decisions keyed by the file name alone
        store.connection.execute("DELETE FROM flag_decisions")
        store.connection.execute(
            'INSERT INTO flag_decisions (document, flag_key, "values", status, decided_by, note, decided_at) '
            "VALUES ('report.txt', ?, '[]', 'dismissed', 'old', NULL, '2025-01-01T00:00:00+00:00')",
            (flag.key,),
        )
        run([inbox], settings, store, force=True)
        again = store.get_flag(flag.id)
    assert again.status is FlagStatus.DISMISSED
    assert again.decision is not None and again.decision.by == "old"


def test_two_folders_given_with_the_same_names_fall_back_to_the_paths_given(tmp_path: Path) -> None:
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        shutil.copy(SEED_TXT[0], tmp_path / folder / "a.txt")
    (tmp_path / "two" / "a.txt").write_text(SEED_TXT[1].read_text(encoding="utf-8"), encoding="utf-8")
    files, _ = discover([tmp_path / "one", tmp_path / "two"])
    assert len({f.document for f in files}) == 2
    assert all(f.document.endswith(f"{f.path.parent.name}/a.txt") for f in files)


# --------------------------------------------------------------------------- exit 3


def _inbox_with_errors(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SEED_TXT[0], inbox / SEED_TXT[0].name)  # raises error flags
    return inbox


def test_exit_three_after_a_failed_run(tmp_path: Path) -> None:
    inbox = _inbox_with_errors(tmp_path)
    (inbox / "broken.docx").write_bytes(b"not a docx")
    args = ["run", str(inbox), "--db", str(tmp_path / "r.db"), "--out", str(tmp_path / "o"), "-q"]
    first = runner.invoke(app, args)
    assert first.exit_code == 1  # a file failed: that wins, the new errors are not "reported"
    (inbox / "broken.docx").unlink()
    second = runner.invoke(app, args)
    assert second.exit_code == 3, second.stdout  # unchanged, skipped, but still open and undecided
    assert "0 new errors; " in second.stdout and " open errors undecided" in second.stdout


def test_exit_three_after_an_interrupted_run(tmp_path: Path) -> None:
    inbox = _inbox_with_errors(tmp_path)
    shutil.copy(SEED_TXT[1], inbox / SEED_TXT[1].name)
    settings = load_settings(db_path=tmp_path / "r.db", out_dir=tmp_path / "o", backend="rules")

    def interrupt_after_first(done: int, total: int, result: object) -> None:
        if done == 1:
            raise KeyboardInterrupt

    with Store(settings.db_path) as store, pytest.raises(KeyboardInterrupt):
        run([inbox], settings, store, progress=interrupt_after_first)
    with Store(settings.db_path) as store:
        (killed,) = store.runs()
        assert killed.status is RunStatus.ABORTED
        assert store.flags()  # the first document's flags were stored before the interruption
    again = runner.invoke(
        app, ["run", str(inbox), "--db", str(settings.db_path), "--out", str(tmp_path / "o"), "-q"]
    )
    assert again.exit_code == 3, again.stdout


def test_sigterm_aborts_the_run_and_releases_the_lock(tmp_path: Path) -> None:
    inbox = tmp_path / "many"
    inbox.mkdir()
    for copy in range(15):
        for seed in SEED_TXT:
            shutil.copy(seed, inbox / f"c{copy:02d}_{seed.name}")
    db = tmp_path / "recon.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "run",
            str(inbox),
            "--db",
            str(db),
            "--out",
            str(tmp_path / "o"),
            "--backend",
            "rules",
            "-q",
        ],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (db.exists() and _ok_documents(db) >= 1):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    with Store(db) as store:
        (terminated,) = store.runs()
        assert terminated.status is RunStatus.ABORTED  # not left "running" until the next run
    with RunLock(db):  # released: a new run can take it at once
        pass


def _ok_documents(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM documents WHERE status = 'ok'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


# --------------------------------------------------------------------------- bad bytes, script


@pytest.mark.parametrize("bad", [b"\xff", b"\x00", b"\x93"], ids=["0xff", "nul", "cp1252-quote"])
def test_one_bad_byte_is_replaced_and_said(bad: bytes) -> None:
    text = SEED_TXT[2].read_text(encoding="utf-8")
    decoded, encoding, warnings = decode_text("x.txt", with_bad_byte(text, bad))
    assert encoding == "utf-8"
    assert warnings == ["decoded with 1 replacement character (bytes not valid utf-8, or control characters)"]
    assert decoded.replace("\ufffd", "") == text


def test_more_than_one_percent_bad_is_still_refused() -> None:
    text = "预算执行率为95%。" * 20
    damaged = b"".join(part + b"\xff\xfe\x00" for part in [c.encode() for c in text[:40]]) + text.encode()
    with pytest.raises(IngestError, match=r"binary content|unreadable"):
        decode_text("x.txt", damaged)


def test_bad_byte_shows_in_the_status_and_on_stderr(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "r.txt").write_bytes(with_bad_byte(SEED_TXT[2].read_text(encoding="utf-8"), b"\xff"))
    result = runner.invoke(
        app, ["run", str(inbox), "--db", str(tmp_path / "r.db"), "--out", str(tmp_path / "o")]
    )
    assert "ok; decoded with 1 replacement character" in result.stdout
    assert "warning: r.txt: decoded with 1 replacement character" in result.stderr
    stored = json.loads((tmp_path / "o" / "r.txt.json").read_text(encoding="utf-8"))
    assert stored["status"] == "ok" and stored["warnings"][0].startswith("decoded with 1 replacement")


@pytest.mark.parametrize("encoding", ["utf-8", "big5"])
def test_traditional_chinese_is_warned_about(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "trad.txt"
    path.write_bytes(TRADITIONAL_TEXT.encode(encoding))
    assert TRADITIONAL_WARNING in ingest(path).warnings
    assert ingest(SEED_TXT[0]).warnings == []


# --------------------------------------------------------------------------- terminal injection


def test_escape_sequences_are_shown_not_obeyed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SEED_TXT[0], inbox / ESCAPE_NAME)
    (inbox / "page.html").write_text(
        "<pre>"
        + SEED_TXT[0].read_text(encoding="utf-8").replace("。", "&#27;]0;title&#7;&#27;[2J。")
        + "</pre>",
        encoding="utf-8",
    )
    db = str(tmp_path / "r.db")
    outputs = [runner.invoke(app, ["run", str(inbox), "--db", db, "--out", str(tmp_path / "o")])]
    outputs.append(runner.invoke(app, ["flags", "--db", db]))
    outputs.append(runner.invoke(app, ["flags", "--json", "--db", db]))
    with Store(db) as store:
        flags = store.flags()
    for flag in flags:
        outputs.append(runner.invoke(app, ["show", str(flag.id), "--context", "400", "--db", db]))
    shown = "".join(o.stdout + o.stderr for o in outputs)
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b[2J" in shown  # the file name, shown
    assert "evil\\x1b[2J\\x1b]0;pwned\\x07[red]x.txt" in outputs[0].stdout  # markup printed as written
    assert any("]0;title[2J" in o.stdout for o in outputs[3:])  # the report text, in show, inert


def test_a_passage_with_control_characters_is_printed_with_them_visible() -> None:
    from pipeline.cli.review import NUMBER_STYLE, passage_text
    from pipeline.review.review import Passage

    shown = passage_text(Passage(0, 20, "a\x1b[2J 12.5万元 \x9b\u202eb", [(6, 10)]))
    assert shown.plain == "…a\\x1b[2J 12.5万元 \\x9b\\u202eb…"
    (span,) = [s for s in shown.spans if s.style == NUMBER_STYLE]
    assert shown.plain[span.start : span.end] == "12.5"  # the highlight still covers the number


# --------------------------------------------------------------------------- provider errors


def test_a_provider_error_echoing_the_key_is_not_logged(
    fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-live-abcdef0123456789SECRET"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SEED_TXT[1], inbox / "r.txt")
    monkeypatch.setenv("RECON_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("RECON_MODEL", "fake-model")
    monkeypatch.setenv("RECON_API_KEY", key)
    fake_openai.responder = lambda request: status(401, message=f"Incorrect API key provided: {key}")
    result = runner.invoke(
        app, ["run", str(inbox), "--db", str(tmp_path / "r.db"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2  # a refused key is a configuration error
    assert key not in result.stderr and key not in result.stdout
    assert "SECRET" not in result.stderr
    assert "Instructor error" not in result.stderr and "API call failed" not in result.stderr
    assert "HTTP 401" in result.stderr  # recon's own line says what failed


# --------------------------------------------------------------------------- read-only database


def _as_unprivileged(args: list[str]) -> list[str]:
    """`args` run where a read-only folder is read-only: as is for a normal user; for root, in a
    user namespace (where root's files are not root's to override)."""
    if os.geteuid() != 0:
        return args
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: a read-only folder cannot be made read-only")
    return ["unshare", "-U", *args]


def test_read_commands_work_on_a_database_in_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "recon.db"
    settings = load_settings(db_path=db, out_dir=tmp_path / "o", backend="rules")
    with Store(db) as store:
        run([SEED_TXT[0]], settings, store)
        flag_id = store.flags()[0].id
    for leftover in folder.glob("recon.db[-.]*"):
        leftover.unlink()
    folder.chmod(0o555)
    try:
        for command in (
            ["flags"],
            ["show", str(flag_id)],
            ["report", "--out", str(tmp_path / "r.html")],
            ["export", "--format", "json", "--out", str(tmp_path / "e.json")],
        ):
            done = subprocess.run(
                _as_unprivileged([sys.executable, "-m", "pipeline.cli", *command, "--db", str(db)]),
                cwd=REPO,
                env=_env(),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, (command, done.stderr)
        assert sorted(p.name for p in folder.iterdir()) == ["recon.db"]
    finally:
        folder.chmod(0o755)


def test_severity_order_of_open_counts(tmp_path: Path) -> None:
    settings = load_settings(db_path=tmp_path / "r.db", out_dir=tmp_path / "o", backend="rules")
    with Store(settings.db_path) as store:
        run([SEED_TXT[0]], settings, store)
        counts = store.open_flag_counts([str(SEED_TXT[0].resolve())])
        errors = sum(1 for f in store.flags() if f.severity is Severity.ERROR)
    assert counts.get(Severity.ERROR, 0) == errors > 0
