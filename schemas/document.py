"""An ingested document: original text, normalised text and the map between them."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class DocumentFormat(str, Enum):
    TXT = "txt"
    DOCX = "docx"
    PDF = "pdf"
    HTML = "html"


class OffsetMap(BaseModel):
    """Maps each offset of the normalised text to an offset of the original text.

    `to_original[i]` is the original offset of normalised character `i`; the list
    has `len(text) + 1` entries so that an end offset maps too.
    """

    model_config = ConfigDict(frozen=True)

    to_original: list[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original `[start, end)` covering normalised `[start, end)`."""
        if end <= start:
            position = self.to_original[start]
            return position, position
        return self.to_original[start], self.to_original[end - 1] + 1


class Document(BaseModel):
    """A source file after ingest.

    `original_text` is the text as read from the file (decoded, or extracted from
    DOCX/PDF/HTML); every span recon stores points into it. `text` is the
    normalised form the extractors read (full-width digits folded, PDF spaces and
    conversion debris removed, broken amounts rejoined); `offsets` maps back.
    """

    model_config = ConfigDict(frozen=True)

    path: str
    name: str = Field(description="file name, used as the document's key in results and gold")
    sha256: str
    size: int
    format: DocumentFormat
    encoding: str | None = None
    original_text: str
    text: str
    offsets: OffsetMap
    warnings: list[str] = Field(default_factory=list)
