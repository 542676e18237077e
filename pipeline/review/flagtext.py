"""A flag's message in the reader's language, built from its structured fields.

The checker stores rule, subject, stated, recomputed, difference, tolerance, unit
and details with every flag; `flag_message` fills the rule's template in
`pipeline.i18n.RULE_MESSAGES` from them, so both languages come from
one template per rule. Numbers are written plainly (`format_number`: no
`0.0050000000000000000000000000`), and a vague subject (`项目`, `2022年`) is
made specific with the label standing before the first number in the text
(`describe_subject`).
"""

from __future__ import annotations

import re
from decimal import Decimal

from pipeline.i18n import MESSAGES, RULE_MESSAGES, Lang, Phrase, fact_name, in_lang, word
from schemas import Flag, SkippedCheck, Span
from schemas.extraction import FactKey
from schemas.flags import Rule

#: Subjects that say nothing on their own: a bare year, or a generic word.
_VAGUE = re.compile(r"^(?:\d{4}年?(?:度)?|项目|合计|小计|总计|其中|支出|收入|资金|金额|本年|全年)$")
#: A list numbering before a label: `（5）`, `5.`, `一、`.
_DIGITS = "0-9一二三四五六七八九十"
_NUMBERING = re.compile(rf"^(?:[（(]\s*[{_DIGITS}]+\s*[）)]|[{_DIGITS}]+[、.．])\s*")
#: Where a clause ends; a label is the clause before a number.
_CLAUSE = re.compile(r"[，,。；;！!？?]")
#: Characters trimmed around a label.
_EDGE = " \t:：|"
#: Characters of a label taken from the text for a vague subject.
LABEL_CHARS = 24
#: Digits kept after the point when a number has more (a recomputed ratio).
MAX_DECIMALS = 6


def format_number(value: Decimal | None, *, strip: bool = False) -> str:
    """`value` in plain notation with at most `MAX_DECIMALS` decimals; `strip` drops trailing zeros.

    A stated `7347.90` keeps its zero; a tolerance `0.0050000000000000000000000000` → `0.005`.
    """
    if value is None:
        return "?"
    if value == 0:
        return "0"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        value = value.quantize(Decimal(1).scaleb(-MAX_DECIMALS))
        strip = True
    return format(value.normalize() if strip else value, "f")


def is_vague(subject: str) -> bool:
    """True for a subject that names nothing on its own (`项目`, `2022年`, empty)."""
    return not subject.strip() or bool(_VAGUE.match(subject.strip()))


def label_before(text: str, span: Span, limit: int = LABEL_CHARS) -> str:
    """The clause standing before `span` in its line (or the line before, when it starts the line).

    `…其中基本支出378.14万元，项目支出6965.5万元` → `项目支出` for the second amount.
    """
    line_start = text.rfind("\n", 0, span.start) + 1
    before = text[line_start : span.start]
    if not before.strip(_EDGE) and line_start > 0:
        previous_start = text.rfind("\n", 0, line_start - 1) + 1
        before = text[previous_start : line_start - 1]
    clause = _CLAUSE.split(before.strip(_EDGE))[-1].strip(_EDGE)
    return clause[-limit:]


def describe_subject(subject: str, text: str | None, spans: list[Span]) -> str:
    """`subject`, with the label before its first number added when the subject is vague.

    `2022年` with the text `…农村奖励扶助资金支出47.96元` gives `2022年（…农村奖励扶助资金支出）`.
    """
    if not is_vague(subject) or text is None:
        return subject
    for span in spans:
        if span.end <= len(text) and span.end > span.start:
            label = _NUMBERING.sub("", label_before(text, span)).strip()
            if label and subject in label:
                return label
            if label:
                return f"{subject}（{label}）"
    return subject


def details_text(flag: Flag, lang: Lang) -> str:
    """The flag's relation in words (`details`) in `lang`; the stored English for older flags."""
    if flag.details_code is not None and flag.details_code in MESSAGES:
        return Phrase(flag.details_code, flag.details_params).render(lang)
    return flag.details or ""


def skipped_reason(skipped: SkippedCheck, lang: Lang) -> str:
    """Why a check was skipped, in `lang`; the stored English for older results."""
    if skipped.code is not None and skipped.code in MESSAGES:
        return Phrase(skipped.code, skipped.params).render(lang)
    return skipped.reason


def _detail_fact(flag: Flag, lang: Lang) -> str:
    """The fact a children_sum compares (`carryover_out of X = Σ …` → 结转结余)."""
    if "fact" in flag.details_params:
        return fact_name(flag.details_params["fact"], lang)
    details = flag.details
    head = (details or "").split(" ", 1)[0]
    if head in {key.value for key in FactKey}:
        return fact_name(head, lang)
    return details or ""


def flag_message(flag: Flag, lang: Lang, subject: str | None = None) -> str:
    """The flag's message in `lang` from its rule's template and its structured fields.

    `subject` overrides the flag's own (a `describe_subject` of it, for instance).
    """
    unit = flag.unit or ""
    difference = abs(flag.difference) if flag.difference is not None else None
    values: dict[str, object] = {
        "subject": subject if subject is not None else flag.subject,
        "stated": format_number(flag.stated),
        "recomputed": format_number(flag.recomputed),
        "difference": format_number(difference, strip=True),
        "tolerance": format_number(flag.tolerance, strip=True),
        "unit": "" if unit == "年" else unit,
        "detail": flag.details or "",
        "count": max(len(flag.values) - 1, 0),
        "corrected": format_number(flag.recomputed),
        "value": flag.values[0] if flag.values else "?",
        "direction": "",
        "years": format_number(difference, strip=True),
    }
    if flag.rule is Rule.CHILDREN_SUM:
        values["detail"] = _detail_fact(flag, lang)
    elif flag.rule is Rule.RATIO:
        values["detail"] = word("numerator / denominator", lang)
    elif flag.rule is Rule.DATE:
        late = flag.difference is not None and flag.difference > 0
        values["direction"] = word("after" if late else "before", lang)
    elif flag.rule is Rule.CONFLICT:
        values["count"] = len(flag.values)
    message = in_lang(RULE_MESSAGES[flag.rule], lang).format(**values)
    if (
        flag.rule is Rule.RATIO
        and flag.unit == "%"
        and flag.stated == 100
        and flag.recomputed is not None
        and flag.recomputed > 100
    ):
        message += word("capped", lang)
    return message
