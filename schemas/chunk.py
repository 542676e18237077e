"""A piece of a document cut along the report's own headings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Chunk(BaseModel):
    """A contiguous piece of the normalised text.

    `start`/`end` are offsets in `Document.text` (normalised); `heading_path` is
    the chain of headings above the chunk (`["三、资金使用及绩效情况", "（二）项目支出绩效情况"]`),
    given to extractors as context. `id` is stable for the same text.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    document: str
    index: int = Field(ge=0)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    heading_path: list[str] = Field(default_factory=list)
    text: str
