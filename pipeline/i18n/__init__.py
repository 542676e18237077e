"""Every message a person reads, in Simplified Chinese and English: one typed table.

`MESSAGES` maps a key to a `Message` holding both languages; `text(key, lang, **values)`
fills its `str.format` placeholders. The table is assembled from one module per part of
recon (`review`, `rules`, `report`, `evaluation`, `errors`); `RULE_MESSAGES` holds the one
template per checker rule that `pipeline.review.flagtext` fills from a flag's structured
fields. A `Phrase` is a key with its parameters, kept by the checker (skip reasons, flag
details) and by errors, so the text can be rendered again in the reader's language.

A test checks that every entry has both languages with the same placeholders, and that
every key the code asks for exists. JSON output never goes through this table: its keys
stay English. Chinese is the default (`Settings.lang`, `RECON_LANG`, `--lang`).

This package sits below every other part of `pipeline` (errors included), so each can
word its messages through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from pipeline.i18n.errors import ERRORS
from pipeline.i18n.evaluation import EVALUATION
from pipeline.i18n.message import DEFAULT_LANG, LANGS, Lang, Message
from pipeline.i18n.report import REPORT
from pipeline.i18n.review import REVIEW
from pipeline.i18n.rules import CHECK, FORMULAS, RULE_MESSAGES, WORDS
from schemas.flags import Rule, Severity
from schemas.stored import FlagStatus

__all__ = [
    "DEFAULT_LANG",
    "FORMULAS",
    "LANGS",
    "MESSAGES",
    "NESTED",
    "PARTS",
    "RULE_MESSAGES",
    "WORDS",
    "Lang",
    "Message",
    "Phrase",
    "fact_name",
    "formula_name",
    "in_lang",
    "phrase",
    "rule_name",
    "severity_name",
    "status_name",
    "text",
    "word",
]

#: The tables `MESSAGES` is made of, by part (a key may appear in one only: a test checks it).
PARTS: Final[dict[str, dict[str, Message]]] = {
    "review": REVIEW, "rules": CHECK, "report": REPORT, "evaluation": EVALUATION, "errors": ERRORS,
}

MESSAGES: Final[dict[str, Message]] = {key: m for table in PARTS.values() for key, m in table.items()}

#: The English plural ending, filled in for `{s}` from `count` (Chinese has no plural).
PLURAL = "s"


def text(key: str, lang: Lang = DEFAULT_LANG, /, **values: object) -> str:
    """The message `key` in `lang`, its placeholders filled from `values`.

    `{s}` is the English plural ending, filled from `values["count"]`.
    """
    template = MESSAGES[key].in_lang(lang)
    if not values:
        return template
    if "count" in values:
        values.setdefault(PLURAL, "" if values["count"] == 1 else "s")
    return template.format(**values)


def in_lang(message: Message, lang: Lang) -> str:
    """`message` in `lang` (for tables of messages other than `MESSAGES`)."""
    return message.in_lang(lang)


def severity_name(severity: Severity, lang: Lang) -> str:
    return text(f"severity.{severity.value}", lang)


def status_name(status: FlagStatus, lang: Lang) -> str:
    return text(f"status.{status.value}", lang)


def rule_name(rule: Rule, lang: Lang) -> str:
    return text(f"rule.{rule.value}", lang)


def fact_name(key: str, lang: Lang) -> str:
    """A project fact's or a term's name (`spent` → 实际支出); an unknown key is returned as is."""
    message = MESSAGES.get(f"fact.{key}")
    return message.in_lang(lang) if message is not None else key


def formula_name(formula: str, lang: Lang) -> str:
    """A relation written with fact names (`spent / budget_total` → 实际支出 / 全年预算)."""
    message = FORMULAS.get(formula)
    return message.in_lang(lang) if message is not None else formula


def word(name: str, lang: Lang) -> str:
    """A word the flag templates use (`after`, `before`, …)."""
    return WORDS[name].in_lang(lang)


def unit_name(unit: str, lang: Lang) -> str:
    """A unit as written, or `no unit` in `lang` for none."""
    return unit or text("units.none", lang)


#: Parameters of a phrase that name a fact, a formula, a word or a unit: rendered in the reader's language.
_TRANSLATED = {
    "fact": fact_name, "role": fact_name, "formula": formula_name, "too": word,
    "from_unit": unit_name, "to_unit": unit_name,
}


#: The ending of a parameter holding the key of a nested phrase: `what_key` fills `{what}`.
NESTED = "_key"


#: Parameters written as their key in English (`carryover_out`), translated in Chinese.
_KEYS_IN_ENGLISH = ("fact", "role")


@dataclass(frozen=True)
class Phrase:
    """A message key with its parameters: text that can be rendered in either language.

    Parameters named `fact`, `role`, `formula`, `too`, `from_unit` or `to_unit` hold a
    fact key, a formula, a word or a unit and are themselves translated; the others (names, numbers, file paths)
    are filled in as they are. A parameter `NAME_key` names a phrase rendered, on the
    same parameters, into `{NAME}` (`within`).
    """

    key: str
    params: Mapping[str, str] = field(default_factory=dict)

    def render(self, lang: Lang) -> str:
        """The phrase in `lang`."""
        values: dict[str, object] = {
            name: _TRANSLATED[name](value, lang) if name in _TRANSLATED else value
            for name, value in self.params.items()
        }
        if lang == "en":  # English keeps the fact keys (`transfer_in`), as the JSON always had them
            values.update({name: self.params[name] for name in _KEYS_IN_ENGLISH if name in self.params})
        for name, value in self.params.items():
            if name.endswith(NESTED):  # `{what}` from `what_key`: another phrase, on the same parameters
                inner = Phrase(value, {k: v for k, v in self.params.items() if k != name})
                values[name.removesuffix(NESTED)] = inner.render(lang)
        return text(self.key, lang, **values)

    def within(self, key: str, name: str = "what") -> Phrase:
        """The phrase `key` whose `{name}` is this phrase (on the same parameters)."""
        return Phrase(key, {**self.params, name + NESTED: self.key})

    @property
    def english(self) -> str:
        """The phrase in English (what JSON and logs keep)."""
        return self.render("en")


def phrase(key: str, /, **params: object) -> Phrase:
    """`Phrase(key, params)` with every parameter written as text (`str`)."""
    return Phrase(key, {name: str(value) for name, value in params.items()})
