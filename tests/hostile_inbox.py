"""Build, at test time, an inbox of hostile entries next to good reports (nothing large is committed).

Zip bombs are built small: a member of zeros that compresses 1000:1, and a member whose
headers claim 4 GB. The oversized file is sparse. Used by `tests/test_hostile.py`, and for
the memory measurement in the README:

    python tests/hostile_inbox.py /tmp/inbox
    /usr/bin/time -v recon run /tmp/inbox --db /tmp/h.db --out /tmp/h-out --backend rules -q
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (REPO / "samples").iterdir() if p.suffix in (".txt", ".docx", ".pdf"))
SAMPLE_DOCX = next(p for p in SAMPLES if p.suffix == ".docx")

#: A short report in Traditional Chinese (the extractors read Simplified only).
TRADITIONAL_TEXT = (
    "二零二三年度項目支出績效自評報告\n"
    "一、項目基本情況\n"
    "本項目年初預算資金100萬元，實際支出95萬元，預算執行率為95%。為提高財政資金使用效益，"
    "我們與各單位對項目經費進行了績效評價，資金撥付及時，會計核算規範。\n"
)
#: Entry names whose one-line refusal the run must print (relative to the inbox).
BAD_ENTRIES = (
    "loop.txt",
    "loopdir",
    "fifo.txt",
    "zero.txt",
    "urandom.txt",
    "bomb.docx",
    "claims-4gb.docx",
    "dangling.txt",
    "old.doc",
    "old.wps",
    "sheet.xls",
    "sheet.xlsx",
    "sheet.et",
    "binary.txt",
    "empty.txt",
    "huge.txt",
)
ESCAPE_NAME = "evil\x1b[2J\x1b]0;pwned\x07[red]x.txt"


def rezip(source: bytes, extra: dict[str, bytes]) -> bytes:
    """The zip `source` with the members of `extra` added (deflated)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for info in original.infolist():
            copy.writestr(info, original.read(info.filename))
        for name, data in extra.items():
            copy.writestr(name, data)
    return buffer.getvalue()


def claim_size(data: bytes, member: str, size: int) -> bytes:
    """`data` (a zip) with `member`'s uncompressed size in its local and central headers set to `size`."""
    out = bytearray(data)
    name = member.encode()
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        position = out.find(signature)
        while position >= 0:
            if out[position + name_at : position + name_at + len(name)] == name:
                struct.pack_into("<I", out, position + size_at, size)
            position = out.find(signature, position + 4)
    return bytes(out)


def ratio_bomb(megabytes: int = 5) -> bytes:
    """The sample DOCX with a member of zeros that deflates about 1000:1."""
    return rezip(SAMPLE_DOCX.read_bytes(), {"word/media/zeros.bin": bytes(megabytes * 1_000_000)})


def header_bomb() -> bytes:
    """The sample DOCX with a tiny member whose headers claim 4 GB unpacked."""
    return claim_size(
        rezip(SAMPLE_DOCX.read_bytes(), {"word/media/big.bin": b"x" * 1000}), "word/media/big.bin", 0xFFFFFFF0
    )


def with_bad_byte(text: str, bad: bytes) -> bytes:
    """`text` in UTF-8 with `bad` inserted in the middle (between two characters)."""
    middle = len(text) // 2
    return text[:middle].encode() + bad + text[middle:].encode()


def build(inbox: Path) -> Path:
    """Fill `inbox` (created) with the seven samples and every hostile case; returns it."""
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "samples").mkdir()
    for sample in SAMPLES:
        shutil.copy(sample, inbox / "samples" / sample.name)
    txt = [p for p in SAMPLES if p.suffix == ".txt"]
    os.symlink("loop.txt", inbox / "loop.txt")
    os.symlink(".", inbox / "loopdir")
    os.mkfifo(inbox / "fifo.txt")
    os.symlink("/dev/zero", inbox / "zero.txt")
    os.symlink("/dev/urandom", inbox / "urandom.txt")
    (inbox / "bomb.docx").write_bytes(ratio_bomb())
    (inbox / "claims-4gb.docx").write_bytes(header_bomb())
    os.symlink("gone-away.txt", inbox / "dangling.txt")
    for name in ("old.doc", "old.wps", "sheet.xls", "sheet.xlsx", "sheet.et"):
        (inbox / name).write_bytes(b"PK\x03\x04 not read")
    (inbox / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (inbox / "empty.txt").write_bytes(b"")
    with (inbox / "huge.txt").open("wb") as handle:
        handle.truncate(25_000_000)  # sparse: over the 20 MB limit without writing it
    for folder, sample in (("a", txt[0]), ("b", txt[1])):
        (inbox / folder).mkdir()
        shutil.copy(sample, inbox / folder / "report.txt")
    (inbox / "badbyte.txt").write_bytes(with_bad_byte(txt[2].read_text(encoding="utf-8"), b"\xff"))
    (inbox / "traditional.txt").write_text(TRADITIONAL_TEXT, encoding="utf-8")
    shutil.copy(txt[3], inbox / ESCAPE_NAME)
    outside = inbox.parent / f"{inbox.name}-linked-folder"
    outside.mkdir()
    shutil.copy(txt[0], outside / "linked.txt")
    os.symlink(outside, inbox / "linked")
    return inbox


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
