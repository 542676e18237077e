"""What counts as one quantity for the `conflict` rule: label normalisation, roles, fund names.

A report often states one quantity in two places (2023年度总支出 7347.90 in one
section, 全年总支出 7343.64 in another). The extractors label statements with
these rules (`pipeline.extract.statements`), the gold reader labels gold
statements with them, and the checker (`pipeline.check.statements`) matches
project names against breakdown totals with them. Three rules:

* **Framing.** `statement_label` drops what only frames a label in the report's
  own voice or period: a leading list number (`3、`), the fiscal-year prefix
  *when it is the report's fiscal year* (`2023年`/`2023年度` in a 2023 report; any
  other year stays, since 2022年支出 and 2023年支出 are different quantities),
  the genre words of `FRAMING_WORDS` (全年, 本年, 本单位, 本部门, 我局 …) right
  after it, `度` after a year and a leading `总`.
* **Role.** `label_role` reads what kind of money a label names from its head
  word, the `ROLE_WORDS` keyword ending last (`三公经费支出预算` is a budget,
  `支出决算` spending, `预算收入` income). A breakdown part takes its total's
  role, or its own when its label names the same one; it gets no role when the
  two disagree (`年初预算` under `预算收入` is a source, not income) or when the
  total names another year. Budgeted 公务接待费 (part of 三公经费预算) and spent
  公务接待费 (part of 三公经费支出) thus stay different quantities.
* **Fund names.** `fund_name_matches` says whether a breakdown total's label
  (`衔接资金项目投入资金`) names the fund of a project (`衔接资金`): after
  `statement_label`, the label minus its role tail (`ROLE_TAIL_RE`: fillers
  项目/资金/经费/专项, qualifiers 实际/全年/调整后, the role word, a trailing
  资金/金额/总额/数) and the project name minus trailing fillers must be equal
  (the prefix rule), or one must end with the other, the shorter being at
  least `MIN_SUFFIX_NAME` characters and the extra prefix naming no year (a
  locality or recipient prefix, `无为市衔接资金` / `衔接资金`, as the gold
  format's naming convention 2; `2022年X` is another year's X).
"""

from __future__ import annotations

import re

from schemas import FactKey

#: Words that frame a label in the report's own voice or period without naming another quantity.
#: Longest first, so 本年度 is dropped whole.
FRAMING_WORDS: tuple[str, ...] = (
    "本年度",
    "本单位",
    "本部门",
    "我单位",
    "我部门",
    "我中心",
    "全年",
    "本年",
    "本局",
    "我局",
    "我委",
    "我院",
    "我校",
)

#: Head words and the kind of money they name; the one ending last in a label wins
#: (a longer word ending at the same place beats a shorter one).
ROLE_WORDS: dict[str, str] = {
    "年初预算": "budget_initial",
    "预算": "budget",
    "投入": "budget",
    "决算": "spent",
    "支出": "spent",
    "使用": "spent",
    "执行": "spent",
    "收入": "income",
    "结余": "balance",
    "结转": "balance",
}
#: Role of a balance carried in from last year (上年结余, 上年结转).
CARRYOVER_IN = "carryover_in"

#: The role a project fact plays, for comparing it with a breakdown total of the same fund.
FACT_ROLES: dict[FactKey, str] = {
    FactKey.BUDGET_INITIAL: "budget_initial",
    FactKey.BUDGET_TOTAL: "budget",
    FactKey.SPENT: "spent",
    FactKey.CARRYOVER_OUT: "balance",
    FactKey.CARRYOVER_IN: CARRYOVER_IN,
}

_FILLERS = "项目|资金|经费|专项"
#: What follows a fund's name in a label that states one of its amounts (`项目投入资金`, `实际支出`).
ROLE_TAIL_RE = re.compile(
    rf"(?:{_FILLERS})*(?:实际|全年|调整后)?"
    rf"(?:{'|'.join(sorted(ROLE_WORDS, key=len, reverse=True))})+"
    r"(?:资金|金额|总额|总数|数|额)?$"
)
_TRAILING_FILLERS_RE = re.compile(rf"(?:{_FILLERS})+$")
#: Shortest fund name matched as the end of a longer one.
MIN_SUFFIX_NAME = 4

_YEAR = r"(?:19|20)\d{2}年"
_ORDINAL_RE = re.compile(r"^(?:[（(]\s*\d+\s*[)）]|\d+\s*[、.．])\s*")
_FRAMING_RE = re.compile(rf"^({_YEAR})?(?:{'|'.join(FRAMING_WORDS)})+")
_OTHER_YEAR_RE = re.compile(rf"{_YEAR}|上年|去年|往年")
_SPACE_RE = re.compile(r"\s+")
_QUOTES_RE = re.compile(r"[“”\"「」『』]")


def statement_label(label: str, fiscal_year: int | None = None) -> str:
    """The label a quantity is compared under (see the module docstring's framing rule).

    `2023年本单位总支出` and `全年总支出` in a 2023 report are both `支出`;
    `2022年度总支出` stays `2022年支出`.
    """
    label = _QUOTES_RE.sub("", _SPACE_RE.sub("", label))
    label = _ORDINAL_RE.sub("", label)
    label = re.sub(rf"({_YEAR})度", r"\1", label)
    if fiscal_year is not None and label.startswith(f"{fiscal_year}年"):
        label = label[len(f"{fiscal_year}年") :]
    label = _FRAMING_RE.sub(lambda match: match.group(1) or "", label)
    label = re.sub(rf"({_YEAR}|^)总", r"\1", label)
    return label.strip()


def label_role(label: str) -> str | None:
    """The kind of money a label names by its head word (`ROLE_WORDS`), or None."""
    best: tuple[int, int, str] | None = None
    for word, role in ROLE_WORDS.items():
        end = label.rfind(word)
        if end < 0:
            continue
        candidate = (end + len(word), len(word), role)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None:
        return None
    role = best[2]
    if role == "balance" and "上年" in label:
        return CARRYOVER_IN
    return role


def names_other_year(label: str) -> bool:
    """Does a normalised label speak of a year other than the report's (`2022年支出`, `上年结余`)?"""
    return _OTHER_YEAR_RE.search(label) is not None


def part_role(part_label: str, total_label: str) -> str | None:
    """A breakdown part's role: its total's, when its own label names none or the same one."""
    if names_other_year(total_label):
        return None
    total = label_role(total_label)
    own = label_role(part_label)
    if own is None or own == total:
        return total
    return None


def fund_core(name: str, fiscal_year: int | None = None) -> str:
    """A project's name as a fund name: framing dropped (`statement_label`), trailing fillers too."""
    return _TRAILING_FILLERS_RE.sub("", statement_label(name, fiscal_year))


def fund_of_label(label: str) -> tuple[str, str] | None:
    """`衔接资金项目投入资金` → (`衔接`, `budget`): the fund a normalised label names and the role
    of the amount; None when the label does not end in a role word."""
    tail = ROLE_TAIL_RE.search(label)
    if tail is None or tail.start() == 0:
        return None
    role = label_role(tail.group(0))
    if role is None:
        return None
    return _TRAILING_FILLERS_RE.sub("", label[: tail.start()]), role


def fund_name_matches(core: str, other: str) -> bool:
    """Equal fund names, or one ending with the other (shorter ≥ `MIN_SUFFIX_NAME` characters)
    behind a prefix that names no year (`2022年X` is not the X of the report's year)."""
    if not core or not other:
        return False
    if core == other:
        return True
    shorter, longer = sorted((core, other), key=len)
    prefix = longer[: len(longer) - len(shorter)]
    return len(shorter) >= MIN_SUFFIX_NAME and longer.endswith(shorter) and not names_other_year(prefix)
