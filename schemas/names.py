"""The one name vocabulary: how a project's or indicator's name is cleaned and compared.

Every stage that shows a name strips the same quote marks and list numbers
(`strip_quotes`, `LIST_ORDINAL_RE`), and every stage that compares two names (the
evaluator aligning gold with extraction, the merger joining two sightings of one
project) compares their `canonical_name`.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["LIST_ORDINAL_RE", "QUOTE_MARKS", "canonical_name", "strip_quotes"]

#: Quote marks a report puts around a name (“项目名称”, 「…」, 《…》) and their ASCII forms.
QUOTE_MARKS = "“”\"'‘’「」『』《》"

#: A list number in front of a name: `3、`, `3.`, `（2）`, `(2)`, `二、`.
LIST_ORDINAL_RE = re.compile(r"^(?:[（(][0-9一二三四五六七八九十]+[）)]|[0-9一二三四五六七八九十]+[、.．])")

_QUOTES_TABLE = str.maketrans("", "", QUOTE_MARKS)
#: `项目“名称”`: the project is what the quotes hold.
_QUOTED_PROJECT_RE = re.compile(r"^(?:项目)?[“\"「『‘](.+?)[”\"」』’]$")
_WHITESPACE = re.compile(r"\s+")


def strip_quotes(name: str) -> str:
    """`name` without quote marks.

    >>> strip_quotes("项目“城乡低保补助”")
    '项目城乡低保补助'
    """
    return name.translate(_QUOTES_TABLE)


def canonical_name(name: str) -> str:
    """A name reduced for comparison: NFKC, no leading list number, `项目“X”` as X, no quote
    marks, no whitespace.

    >>> canonical_name("3、项目“2023年 基层医疗机构专项”")
    '2023年基层医疗机构专项'
    >>> canonical_name("（2）三支一扶")
    '三支一扶'
    """
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", name))
    while (match := LIST_ORDINAL_RE.match(text)) and match.end() < len(text):
        text = text[match.end() :]
    if quoted := _QUOTED_PROJECT_RE.match(text):
        text = quoted.group(1)
    return unicodedata.normalize("NFKC", strip_quotes(text))  # a removed quote can join combining marks
