"""The gold annotation format `recon-gold/1` (see `shared/GOLD_FORMAT.md`).

One file per source document records what the text states (projects,
indicators, breakdowns) and, separately, which stated numbers do not reconcile
(`inconsistencies`). Two optional lists record relations the others cannot
say, so the checker can be scored on them from gold facts: `statements` (one
quantity stated twice) and `ratios` (a stated rate and its operands); files
without them are as valid as before. Numbers are strings exactly as written (ASCII digits, no
thousands separators, no `%`), never JSON floats; `StrictStr` keeps pydantic
from coercing a float into a string behind the annotator's back.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from schemas.extraction import FactKey
from schemas.flags import Rule

#: Format tag every gold file carries.
GOLD_FORMAT = "recon-gold/1"

_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")


def _check_number(text: str) -> str:
    if not _NUMBER_RE.fullmatch(text):
        raise ValueError(f"{text!r} is not a number as written (ASCII digits, optional '.', no '%' or ',')")
    return text


#: A number as written in the text, as a string (`"6969.76"`, `"0"`, `"4.10"`).
GoldNumber = Annotated[StrictStr, AfterValidator(_check_number)]


class _GoldModel(BaseModel):
    """Frozen, closed models: an unknown key is a typo, not an extension."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class GoldAmount(_GoldModel):
    """A fact value whose unit differs from its project's: `{"value": "67.49", "unit": "元"}`."""

    value: GoldNumber
    unit: StrictStr | None = None


#: One stated amount: a bare number string (in the project's unit) or an amount with its own unit.
GoldFactItem = GoldNumber | GoldAmount
#: A fact: one amount, or several of the same kind in text order (they add).
GoldFactValue = GoldFactItem | list[GoldFactItem]


def fact_items(value: GoldFactValue) -> list[GoldFactItem]:
    """The amounts of a fact as a list (a single amount becomes a one-item list)."""
    return list(value) if isinstance(value, list) else [value]


def item_value(item: GoldFactItem) -> str:
    """The number string of one fact amount."""
    return item.value if isinstance(item, GoldAmount) else item


def item_unit(item: GoldFactItem, default: str | None) -> str | None:
    """The unit of one fact amount: its own when it carries one, else `default`."""
    if isinstance(item, GoldAmount) and item.unit is not None:
        return item.unit
    return default


class GoldProject(_GoldModel):
    """A budget project or numbered sub-project with the money flows the text states."""

    name: StrictStr
    parent: StrictStr | None = None
    unit: StrictStr | None = None
    facts: dict[FactKey, GoldFactValue] = Field(default_factory=dict)


class GoldIndicator(_GoldModel):
    """A quantitative performance indicator: target and/or actual, optional completion rate (%)."""

    name: StrictStr
    target: GoldNumber | None = None
    actual: GoldNumber | None = None
    unit: StrictStr | None = None
    rate: GoldNumber | None = None
    category: StrictStr | None = None


class GoldBreakdownItem(_GoldModel):
    """The total or one part of a breakdown; `unit` only when it differs from the breakdown's."""

    label: StrictStr
    value: GoldNumber
    unit: StrictStr | None = None


class GoldBreakdown(_GoldModel):
    """A stated total together with the stated parts that make it up."""

    unit: StrictStr | None = None
    total: GoldBreakdownItem
    parts: list[GoldBreakdownItem]


class GoldInconsistency(_GoldModel):
    """What a careful auditor would flag: rule, subject, the numbers involved (stated first)."""

    rule: Rule
    subject: StrictStr
    values: list[GoldNumber]
    note: StrictStr | None = None


class GoldStatement(_GoldModel):
    """A quantity stated in running text that the lists above cannot relate to another statement of it.

    `label` names the quantity: two statements of one quantity carry the same
    label and scope even when the text words them differently (`note` says how).
    `scope` is what it is stated for (a project's name …); null means the report
    as a whole, the scope of breakdown totals.
    """

    label: StrictStr
    value: GoldNumber
    unit: StrictStr | None = None
    scope: StrictStr | None = None
    note: StrictStr | None = None


class GoldRatio(_GoldModel):
    """A stated rate or density and the stated counts it should equal `numerator / denominator` of.

    `unit` `%` means ×100 (`万步率98.64%` of 447 of 484 people); any other unit
    is a plain quotient (`鼠密度0.10只/夹` of 31只 over 2936个). Operands are numbers
    as written, with their unit when they have one.
    """

    label: StrictStr
    value: GoldNumber
    unit: StrictStr | None = None
    numerator: GoldFactItem
    denominator: GoldFactItem
    note: StrictStr | None = None


class GoldDocument(_GoldModel):
    """One gold file. `draft` files (pre-filled by `recon gold draft`) are not yet checked by a human."""

    format: Literal["recon-gold/1"]
    document: StrictStr
    organization: StrictStr | None = None
    fiscal_year: StrictInt | None = None
    draft: bool = False
    projects: list[GoldProject] = Field(default_factory=list)
    indicators: list[GoldIndicator] = Field(default_factory=list)
    breakdowns: list[GoldBreakdown] = Field(default_factory=list)
    inconsistencies: list[GoldInconsistency] = Field(default_factory=list)
    statements: list[GoldStatement] = Field(default_factory=list)
    ratios: list[GoldRatio] = Field(default_factory=list)
