"""Ingest stage: find supported files and read one into a normalised `Document`.

`discover` walks the paths a user gave; `ingest` checks the size before
reading, hashes the bytes, extracts text by format (`pipeline.ingest.formats`) and
normalises it (`pipeline.ingest.normalize`) keeping the offset map back to the
extracted text. Every failure is an `IngestError(path, one-line reason)`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import IngestError
from pipeline.i18n import Phrase, phrase
from pipeline.ingest.formats import (
    DEFAULT_ZIP_LIMITS,
    ZipLimits,
    decode_text,
    docx_text,
    html_text,
    pdf_text,
    script_warning,
)
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


#: Office formats recon does not read, and what to do about each (said once per file).
UNREAD_OFFICE_FORMATS: dict[str, Phrase] = {
    suffix: phrase(f"ingest.unread_{suffix[1:]}") for suffix in (".doc", ".wps", ".xls", ".xlsx", ".et")
}

NOT_REGULAR_REASON = phrase("ingest.not_regular")


@dataclass(frozen=True)
class Found:
    """A file to read: `path` as reached (a link keeps its own name) and the document's identity,
    its path relative to the input folder it was found in (`sub/a.txt`; a file named on its own: `a.txt`)."""

    path: Path
    document: str


def _supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIX_FORMATS


def _unsupported_reason(path: Path) -> Phrase:
    office = UNREAD_OFFICE_FORMATS.get(path.suffix.lower())
    if office is not None:
        return office
    return phrase("ingest.unsupported", suffix=path.suffix or "(none)", supported=" ".join(SUFFIX_FORMATS))


def _os_reason(exc: OSError) -> Phrase:
    if isinstance(exc, FileNotFoundError):
        return phrase("ingest.not_found")
    if isinstance(exc, PermissionError):
        return phrase("ingest.permission")
    if isinstance(exc, IsADirectoryError):
        return phrase("ingest.is_directory")
    if isinstance(exc, NotADirectoryError):
        return phrase("ingest.parent_is_file")
    if exc.errno == errno.ELOOP:
        return phrase("ingest.link_loop")
    return phrase("ingest.unreadable", detail=exc.strerror or exc)


def _link_reason(path: Path, exc: OSError) -> Phrase:
    """Why `path` (whose stat() failed) cannot be followed, naming a symbolic link as itself."""
    if exc.errno == errno.ELOOP:
        return phrase("ingest.link_loop")
    if isinstance(exc, FileNotFoundError) and path.is_symlink():
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return phrase("ingest.broken_link", target=target)
    return _os_reason(exc)


def _stat(path: Path) -> os.stat_result | Phrase:
    """stat() following links, or the one-line reason it failed."""
    try:
        return path.stat()
    except OSError as exc:
        return _link_reason(path, exc)


def _add_file(
    path: Path,
    info: os.stat_result,
    document: str,
    explicit: bool,
    found: list[Found],
    errors: list[IngestError],
) -> None:
    """Put a file reached by the walk (or named explicitly) into `found` or `errors`, or ignore it."""
    if not _supported(path):
        if explicit or path.suffix.lower() in UNREAD_OFFICE_FORMATS:
            errors.append(IngestError(str(path), _unsupported_reason(path)))
    elif not stat.S_ISREG(info.st_mode):
        errors.append(IngestError(str(path), NOT_REGULAR_REASON))
    elif not os.access(path, os.R_OK):
        errors.append(IngestError(str(path), phrase("ingest.permission")))
    else:
        found.append(Found(path, document))


def _walk(root: Path, root_stat: os.stat_result, found: list[Found], errors: list[IngestError]) -> None:
    """Files under `root`; hidden entries and Office lock files (~$x.docx) skipped.

    Links to folders are followed once: a link back into a folder being walked
    (a loop) is reported and skipped; a folder already walked under another
    name is not walked again. An explicit stack, so depth is no recursion limit.
    """
    walked: set[tuple[int, int]] = set()
    stack: list[tuple[Path, os.stat_result, str, frozenset[tuple[int, int]]]] = [
        (root, root_stat, "", frozenset())
    ]
    while stack:
        directory, info, relative, ancestors = stack.pop()
        key = (info.st_dev, info.st_ino)
        if key in ancestors:
            reason = "symbolic link loop: it leads back to a folder above it, skipped"
            errors.append(IngestError(str(directory), reason))
            continue
        if key in walked:
            continue
        walked.add(key)
        try:
            with os.scandir(directory) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as exc:
            errors.append(IngestError(str(directory), _os_reason(exc)))
            continue
        subfolders: list[tuple[Path, os.stat_result, str, frozenset[tuple[int, int]]]] = []
        for name in names:
            if name.startswith((".", "~$")):
                continue
            path = directory / name
            entry_stat = _stat(path)
            if isinstance(entry_stat, Phrase):
                errors.append(IngestError(str(path), entry_stat))
            elif stat.S_ISDIR(entry_stat.st_mode):
                subfolders.append((path, entry_stat, f"{relative}{name}/", ancestors | {key}))
            else:
                _add_file(path, entry_stat, f"{relative}{name}", False, found, errors)
        stack.extend(reversed(subfolders))


def _unique_documents(found: list[Found]) -> list[Found]:
    """One entry per file (links and repeated arguments de-duplicated), each with a distinct identity:
    names that clash (two folders given, each with an `a.txt`) fall back to the path as given."""
    unique: dict[tuple[int, int], Found] = {}
    for item in found:
        try:
            info = item.path.stat()
        except OSError:
            continue
        unique.setdefault((info.st_dev, info.st_ino), item)
    clashes = Counter(item.document for item in unique.values())
    result = [
        item if clashes[item.document] == 1 else Found(item.path, _given_path(item.path))
        for item in unique.values()
    ]
    return sorted(result, key=lambda item: str(item.path))


def _given_path(path: Path) -> str:
    """`path` relative to the working folder when it lies inside it, else absolute, '/'-separated."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def discover(paths: Sequence[Path]) -> tuple[list[Found], list[IngestError]]:
    """Files under `paths` (recursive, sorted, de-duplicated) and the entries that cannot be read.

    Inside a folder, files with other suffixes are ignored, except Office formats
    recon does not read (.doc, .xlsx …), which are reported once each; a file
    named explicitly with an unsupported suffix is an error. Symbolic links are
    followed (loops and broken links are reported under the link's own name),
    and only regular files are read (a FIFO or device is reported).
    """
    found: list[Found] = []
    errors: list[IngestError] = []
    for path in paths:
        info = _stat(path)
        if isinstance(info, Phrase):
            errors.append(IngestError(str(path), info))
        elif stat.S_ISDIR(info.st_mode):
            if not os.access(path, os.R_OK | os.X_OK):
                errors.append(IngestError(str(path), phrase("ingest.permission")))
                continue
            _walk(path, info, found, errors)
        else:
            _add_file(path, info, path.name, True, found, errors)
    once: dict[str, IngestError] = {}
    for error in errors:  # a folder and a file in it both given: one line for a bad file
        once.setdefault(os.path.abspath(error.path), error)
    return _unique_documents(found), list(once.values())


def identity_path(path: Path) -> Path:
    """The absolute path a document is stored under: its folder resolved, its own name kept
    (a link is known by its own name, and a link loop cannot make this raise)."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.parent.resolve() / absolute.name
    except (OSError, RuntimeError):
        return absolute


def read_source(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at `path`, at most `max_bytes` of them.

    The type and size are checked (stat) before the file is opened, and again on
    the open descriptor; a FIFO, device or socket is never read, and reading
    stops at the limit even if the file grows meanwhile.
    """
    try:
        before = path.stat()
        if stat.S_ISDIR(before.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(before.st_mode):
            raise IngestError(str(path), NOT_REGULAR_REASON)
        if before.st_size > max_bytes:
            raise IngestError(
                str(path),
                phrase(
                    "ingest.too_large",
                    size=f"{before.st_size / _MEGABYTE:.1f}",
                    limit=f"{max_bytes / _MEGABYTE:.1f}",
                ),
            )
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        with os.fdopen(descriptor, "rb") as handle:
            opened = os.fstat(handle.fileno())
            if not stat.S_ISREG(opened.st_mode):  # swapped for a FIFO after the stat() above
                raise IngestError(str(path), NOT_REGULAR_REASON)
            size = opened.st_size
            data = handle.read(min(max_bytes, size + _GROWTH_ALLOWANCE) + 1)
    except OSError as exc:
        raise IngestError(str(path), _link_reason(path, exc)) from exc
    if len(data) > max_bytes:
        raise IngestError(str(path), phrase("ingest.grew", limit=f"{max_bytes / _MEGABYTE:.1f}"))
    if len(data) > size + _GROWTH_ALLOWANCE:
        raise IngestError(str(path), phrase("ingest.kept_growing"))
    if not data:
        raise IngestError(str(path), phrase("ingest.empty"))
    return data


def ingest(
    path: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS,
    data: bytes | None = None,
    *,
    sha256: str | None = None,
) -> Document:
    """Read one supported file into a `Document` with normalised text and its offset map.

    `data` is the file's content when the caller already read it (`read_source`),
    so that what is hashed is exactly what is extracted; `sha256` is their hash when the caller
    already computed it (a file is hashed once).
    """
    document_format = SUFFIX_FORMATS.get(path.suffix.lower())
    if document_format is None:
        raise IngestError(str(path), _unsupported_reason(path))
    if data is None:
        data = read_source(path, max_bytes)
    encoding: str | None = None
    warnings: list[str] = []
    if document_format is DocumentFormat.TXT:
        original, encoding, warnings = decode_text(str(path), data)
    elif document_format is DocumentFormat.DOCX:
        original = docx_text(str(path), data, zip_limits)
    elif document_format is DocumentFormat.PDF:
        original, warnings = pdf_text(str(path), data)
    else:
        original, encoding, warnings = html_text(str(path), data)
    soft_wraps = document_format is DocumentFormat.PDF or looks_hard_wrapped(original)
    text, offsets = normalize(original, soft_wraps=soft_wraps)
    if not text.strip():
        raise IngestError(str(path), phrase("ingest.no_text"))
    script = script_warning(text)
    if script is not None:
        warnings.append(script)
    return Document(
        path=str(path),
        name=path.name,
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
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
