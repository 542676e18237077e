"""Ingest stage: find supported files and read one into a normalised `Document`.

`discover` walks the paths a user gave; `ingest` checks the size before
reading, hashes the bytes, extracts text by format (`pipeline.ingest.formats`) and
normalises it (`pipeline.ingest.normalize`) keeping the offset map back to the
extracted text. Every failure is an `IngestError(path, one-line reason)`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import IngestError
from pipeline.ingest.formats import decode_text, docx_text, html_text, pdf_text
from pipeline.ingest.normalize import looks_hard_wrapped, normalize
from schemas import Document, DocumentFormat

#: Supported suffixes (compared lower-case) and the format each one is read as.
SUFFIX_FORMATS: dict[str, DocumentFormat] = {
    ".txt": DocumentFormat.TXT,
    ".docx": DocumentFormat.DOCX,
    ".pdf": DocumentFormat.PDF,
    ".html": DocumentFormat.HTML,
    ".htm": DocumentFormat.HTML,
}

DEFAULT_MAX_BYTES = 20_000_000
#: How far a file may grow between stat() and read() and still be read whole.
_GROWTH_ALLOWANCE = 1_000_000
_MEGABYTE = 1_000_000


def _supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIX_FORMATS


def _unsupported_reason(path: Path) -> str:
    return f"unsupported file type {path.suffix or '(none)'} (supported: {' '.join(SUFFIX_FORMATS)})"


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "not found"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(exc, NotADirectoryError):
        return "not found (a parent in the path is a file)"
    return f"cannot be read: {exc.strerror or exc}"


def _walk(directory: Path, found: list[Path], errors: list[IngestError]) -> None:
    """Supported files under `directory`; hidden entries and Office lock files (~$x.docx) skipped."""

    def on_error(exc: OSError) -> None:
        errors.append(IngestError(str(exc.filename or directory), _os_reason(exc)))

    for root, dirnames, filenames in os.walk(directory, onerror=on_error):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        for name in filenames:
            if name.startswith((".", "~$")):
                continue
            candidate = Path(root) / name
            if _supported(candidate):
                found.append(candidate)


def discover(paths: Sequence[Path]) -> tuple[list[Path], list[IngestError]]:
    """Supported files under `paths` (recursive, sorted, de-duplicated) and the paths that failed.

    Files with other suffixes inside a directory are ignored; a file named
    explicitly with an unsupported suffix is an error.
    """
    found: list[Path] = []
    errors: list[IngestError] = []
    for path in paths:
        try:
            is_dir = path.is_dir()
            exists = is_dir or path.exists()
        except OSError as exc:
            errors.append(IngestError(str(path), _os_reason(exc)))
            continue
        if not exists:
            errors.append(IngestError(str(path), "not found"))
        elif is_dir:
            if not os.access(path, os.R_OK | os.X_OK):
                errors.append(IngestError(str(path), "permission denied"))
                continue
            _walk(path, found, errors)
        elif not _supported(path):
            errors.append(IngestError(str(path), _unsupported_reason(path)))
        elif not os.access(path, os.R_OK):
            errors.append(IngestError(str(path), "permission denied"))
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return sorted(unique.values(), key=str), errors


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, after checking its size against `max_bytes` without reading it."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(path))
        if size > max_bytes:
            raise IngestError(
                str(path),
                f"file too large: {size / _MEGABYTE:.1f} MB > limit {max_bytes / _MEGABYTE:.1f} MB "
                "(raise RECON_MAX_FILE_BYTES)",
            )
        with path.open("rb") as handle:
            data = handle.read(min(max_bytes, size + _GROWTH_ALLOWANCE) + 1)
    except OSError as exc:
        raise IngestError(str(path), _os_reason(exc)) from exc
    if len(data) > max_bytes:
        raise IngestError(str(path), f"file too large: grew past the limit of {max_bytes / _MEGABYTE:.1f} MB")
    if len(data) > size + _GROWTH_ALLOWANCE:
        raise IngestError(str(path), "the file kept growing while it was read; try again when it is complete")
    if not data:
        raise IngestError(str(path), "empty file")
    return data


def ingest(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read one supported file into a `Document` with normalised text and its offset map."""
    document_format = SUFFIX_FORMATS.get(path.suffix.lower())
    if document_format is None:
        raise IngestError(str(path), _unsupported_reason(path))
    data = _read_bytes(path, max_bytes)
    encoding: str | None = None
    warnings: list[str] = []
    if document_format is DocumentFormat.TXT:
        original, encoding = decode_text(str(path), data)
    elif document_format is DocumentFormat.DOCX:
        original = docx_text(str(path), data)
    elif document_format is DocumentFormat.PDF:
        original, warnings = pdf_text(str(path), data)
    else:
        original, encoding = html_text(str(path), data)
    soft_wraps = document_format is DocumentFormat.PDF or looks_hard_wrapped(original)
    text, offsets = normalize(original, soft_wraps=soft_wraps)
    if not text.strip():
        raise IngestError(str(path), "no text: the file holds only whitespace or markup")
    return Document(
        path=str(path),
        name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        format=document_format,
        encoding=encoding,
        original_text=original,
        text=text,
        offsets=offsets,
        warnings=warnings,
    )


def ingest_text(text: str, name: str = "text.txt") -> Document:
    """A `Document` from text already in memory (a pasted passage, a test case),
    normalised exactly as a `.txt` file with that content would be."""
    data = text.encode("utf-8")
    normalized, offsets = normalize(text, soft_wraps=looks_hard_wrapped(text))
    return Document(
        path=name,
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        format=DocumentFormat.TXT,
        encoding="utf-8",
        original_text=text,
        text=normalized,
        offsets=offsets,
    )
