"""The extract prompt's worked examples are answers the backend accepts, copied faithfully."""

from __future__ import annotations

import re

import pytest

from prompts import extract_prompt
from schemas.llm import ChunkFacts

_EXAMPLE = re.compile(r"原文：\n(?P<text>.*?)\n输出：\n(?P<answer>\{.*?\})\s*$", re.DOTALL | re.MULTILINE)


def _examples() -> list[tuple[str, str]]:
    return [(m.group("text"), m.group("answer")) for m in _EXAMPLE.finditer(extract_prompt().text)]


def _values(facts: ChunkFacts) -> list[str]:
    values: list[str] = []
    for project in facts.projects:
        dumped = project.model_dump(exclude={"name", "parent"})
        for value in dumped.values():
            values.extend(value if isinstance(value, list) else [value] if value else [])
    for indicator in facts.indicators:
        values.extend(v for v in (indicator.target, indicator.actual, indicator.rate) if v)
    for breakdown in facts.breakdowns:
        values.append(breakdown.total)
        values.extend(part.value for part in breakdown.parts)
    return values


def test_the_prompt_has_worked_examples() -> None:
    assert len(_examples()) >= 2


@pytest.mark.parametrize(
    ("text", "answer"),
    [pytest.param(text, answer, id=f"example-{i}") for i, (text, answer) in enumerate(_examples(), 1)],
)
def test_every_example_value_is_written_in_its_text(text: str, answer: str) -> None:
    facts = ChunkFacts.model_validate_json(answer)
    values = _values(facts)
    assert values
    for value in values:
        assert value in text, value
    names = [p.name for p in facts.projects] + [i.name for i in facts.indicators]
    assert all(name in text for name in names)
