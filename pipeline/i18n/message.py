"""The message record and the languages: a message is one text in Simplified Chinese and English."""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

#: Language of every message a person reads: Simplified Chinese (default) or English.
Lang = Literal["zh", "en"]

#: The languages, default first.
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
DEFAULT_LANG: Final[Lang] = "zh"


class Message(NamedTuple):
    """One message in both languages (`str.format` placeholders must match)."""

    zh: str
    en: str

    def in_lang(self, lang: Lang) -> str:
        """The text in `lang`."""
        return self.en if lang == "en" else self.zh
