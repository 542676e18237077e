"""The offline `rules` backend: a deterministic parser for this genre's wording.

It reads `Document.text` (normalised) and finds:

- projects stated as `N、项目“名称”年初预算…，实际支出…，结余结转…` with their
  numbered sub-items `（N）名称支出X万元，其中年初预算…，结余结转…`;
- lists of projects under a total (`项目支出…其中：1、…X万元；2、…`), which are
  also breakdowns; a list under a 预算 total gives `budget_total`, else `spent`;
- breakdowns: a stated total followed by 其中/包括/分别 and its parts;
- statements of costs and restated totals (for the checker's `conflict` rule);
- indicators, through `pipeline.extract.rules.indicators`.

What every backend needs before the checker (statements from breakdowns, years in project
names, densities, scores) is added by `pipeline.extract.complete`, not here.

Faithful to the text: a unit is kept as written (`67.49元` stays 元) and a flow
that is not stated is absent. Judgement belongs to the checker.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.extract.complete import fiscal_year_of, organization_of
from pipeline.extract.rules.general import cost_statements, coverage, read_general, restated_statements
from pipeline.extract.rules.indicators import extract_indicators
from pipeline.extract.rules.lexicon import FLOW_PART_KEYS, FUNDING_SOURCE, MONEY_FLOW_RATE
from pipeline.extract.rules.projects import is_generic_name
from pipeline.extract.rules.roles import money_role
from pipeline.extract.rules.text import (
    Amount,
    all_amounts,
    classify_flow,
    clean_label,
    inside,
    is_rate_label,
    label_before,
    money_amounts,
    paren_ranges,
)
from pipeline.ingest.chunk import chunk_at
from pipeline.numbers import stated_number
from schemas import (
    Breakdown,
    BreakdownItem,
    Chunk,
    Document,
    DocumentExtraction,
    FactKey,
    Indicator,
    Project,
    Span,
    StatedNumber,
)
from schemas.names import strip_quotes
from schemas.numbers import MONEY_UNITS

_QUOTED_PROJECT = re.compile(r"[ \t]*(?:\d{1,2}[、.．]\s*)?项目[“\"「](?P<name>[^”\"」\n]{1,80})[”\"」]")
_SUB_ITEM = re.compile(
    r"[ \t]*[（(]\d{1,2}[）)][ \t]*(?P<name>[^，。；：\n]{0,80}?)[ \t]*(?:实际)?支出(?=\d)"
)
_HEADING_OUTER = re.compile(r"[ \t]*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)])")
_LIST_NUMBER = re.compile(r"^\s*(?:\d{1,2}[、.．]|[（(]\d{1,2}[）)])\s*")
_TRIGGER = re.compile(r"其中|主要包括|包括|分别是|分别为")
_STAT_LABEL = re.compile(r"占|比上年|比去年|同比|增长|增加|减少|下降|提高|节约")
_NUMBERED_ITEM = re.compile(
    r"(?:^|(?<=[；;。\n]))[ \t]*\d{1,2}[、.．][ \t]*(?P<label>[^；;。\n]{2,80}?)"
    r"(?P<number>\d+(?:\.\d+)?)(?P<unit>万元|元|亿元)(?=[；;。，,\s]|$)",
    re.MULTILINE,
)
_THREE_PUBLIC_ITEMS = re.compile(
    r"公务接待费?|公务用车购置及运行维护费|公车购置和维护费|因公出国（境）费|出国经费|公务用车"
)


@dataclass
class _ProjectDraft:
    name: str
    parent: str | None
    name_start: int
    name_end: int
    facts: dict[FactKey, list[StatedNumber]] = field(default_factory=dict)

    def add(self, key: FactKey, number: StatedNumber, replace: bool = False) -> None:
        if replace or key not in self.facts:
            self.facts[key] = [number]
        elif key is FactKey.SUPPLEMENT:
            self.facts[key].append(number)
        # a second amount for any other key is left to the first statement


@dataclass
class _Item:
    label: str
    amount: Amount


class _Extractor:
    """Holds the document while the passes run; produces one `DocumentExtraction`."""

    def __init__(
        self, document: Document, chunks: list[Chunk], disabled: frozenset[str] = frozenset()
    ) -> None:
        self.disabled = disabled
        self.document = document
        self.text = document.text
        self._money_in_text: list[Amount] | None = None
        self.chunks = chunks
        self.projects: list[_ProjectDraft] = []
        self.project_names: set[str] = set()
        self.breakdowns: list[Breakdown] = []
        self.breakdown_totals: set[int] = set()
        self.used_amounts: set[int] = set()
        self.breakdown_amounts: set[int] = set()

    # -- helpers ---------------------------------------------------------------------------
    def number(self, amount: Amount) -> StatedNumber:
        return stated_number(self.document, amount.start, amount.end, amount.unit)

    def chunk_id(self, offset: int) -> str | None:
        chunk = chunk_at(self.chunks, offset)
        return chunk.id if chunk else None

    def new_project(self, name: str, parent: str | None, start: int, end: int) -> _ProjectDraft:
        draft = _ProjectDraft(name=name, parent=parent, name_start=start, name_end=end)
        self.projects.append(draft)
        self.project_names.add(name)
        return draft

    # -- pass 1: quoted projects and their numbered sub-items -------------------------------
    def quoted_projects(self) -> None:
        parent: str | None = None
        offset = 0
        for line in self.text.splitlines(keepends=True):
            top = _QUOTED_PROJECT.match(line)
            sub = _SUB_ITEM.match(line)
            if top:
                name = strip_quotes(top.group("name")).strip()
                start = offset + top.start("name")
                draft = self.new_project(name, None, start, offset + top.end("name"))
                self._flows(draft, offset + top.end(), offset + len(line), first_is_spent=False)
                parent = name
            elif sub and sub.group("name").strip():
                name = strip_quotes(sub.group("name")).strip()
                start = offset + sub.start("name")
                candidate = _ProjectDraft(name, parent, start, offset + sub.end("name"))
                self._flows(candidate, offset + sub.end("name"), offset + len(line), first_is_spent=True)
                if len(candidate.facts) >= 2:
                    self.projects.append(candidate)
                    self.project_names.add(name)
            elif _HEADING_OUTER.match(line):
                parent = None
            offset += len(line)

    def _flows(self, draft: _ProjectDraft, start: int, line_end: int, first_is_spent: bool) -> None:
        """Read the money flows of one project sentence `[start, 。)` into `draft`."""
        text = self.text
        end = _sentence_end(text, start, line_end)
        parens = paren_ranges(text, start, end)
        previous_end = start
        last_key: FactKey | None = None
        last_label = ""
        last_amount: Amount | None = None
        amounts = [a for a in all_amounts(text, start, end) if a.money or a.unit == "%"]
        for index, amount in enumerate(amounts):
            group = inside(parens, amount.start)
            label, _ = label_before(text, amount.start, previous_end)
            previous_end = amount.unit_end
            if group is not None:
                self._paren_amount(draft, amount, label, group, last_key, last_label, last_amount)
                continue
            if amount.unit == "%":
                if is_rate_label(label):
                    draft.add(FactKey.EXECUTION_RATE, self.number(amount))
                continue
            if index == 0 and first_is_spent:
                key: FactKey | None = FactKey.SPENT
            else:
                key = classify_flow(label)
            if key is None:
                continue
            draft.add(key, self.number(amount))
            self.used_amounts.add(amount.start)
            last_key, last_label, last_amount = key, label, amount

    def _paren_amount(
        self,
        draft: _ProjectDraft,
        amount: Amount,
        label: str,
        group: tuple[int, int],
        last_key: FactKey | None,
        last_label: str,
        last_amount: Amount | None,
    ) -> None:
        """An amount inside （…） after a flow: a correction, a deduction or a breakdown part."""
        text = self.text
        opening = text[group[0] + 1 : group[0] + 4]
        after = text[amount.unit_end : group[1]]
        if "原" in label and classify_flow(label) is not None:
            key = classify_flow(label)
            assert key is not None
            draft.add(key, self.number(amount), replace=True)
        elif re.search(r"扣减|调减", after.split("，")[0] + after[:20]):
            draft.add(FactKey.REDUCTION, self.number(amount))
        elif opening.startswith(("其中", "包括", "含")) and last_amount is not None and last_key is not None:
            if group[0] in self.breakdown_totals:
                return
            self.breakdown_totals.add(group[0])
            parts = [
                _Item(label_before(text, a.start, prev)[0], a)
                for a, prev in _with_previous_ends(money_amounts(text, group[0] + 1, group[1]), group[0] + 1)
            ]
            if len(parts) >= 2:
                total_label = f"{draft.name} {last_label}"
                self._add_breakdown(total_label, last_amount, parts, exhaustive=True)

    # -- pass 2: breakdowns introduced by 其中/包括/分别 -------------------------------------
    def triggered_breakdowns(self) -> None:
        text = self.text
        for trigger in _TRIGGER.finditer(text):
            total = self._total_before(trigger.start())
            if total is None:
                if not self._counted_breakdowns(trigger):
                    self._untotalled_list(trigger)
                continue
            if total.start in self.breakdown_totals or total.start in self.used_amounts:
                continue
            items = self._items_after(trigger.end(), total)
            if not items or not _plausible_counts(total, items, self):
                continue
            if _spends(text, total) and any(_is_flow_label(item.label) for item in items):
                # `支出57.3万元，其中年初预算58万元、追加0.6万元`: the funding of the project, whose
                # flows the general stages read; sources are no parts of a spending (issue 12 §3)
                continue
            total_label, _ = label_before(text, total.start, max(0, total.start - 60))
            total_label = clean_label(total_label)
            self.breakdown_totals.add(total.start)
            exhaustive = trigger.group() in ("其中", "分别是", "分别为") and not _profiles(
                text, trigger.end(), items[-1].amount.start
            )
            head, leftover = _close_at_sum(total, items, self)
            if not leftover:
                head = head + self._completing_sentence(trigger.end(), total, head)
            if len(head) >= 1:
                self._add_breakdown(total_label, total, head, exhaustive=exhaustive)
                self._list_projects(total_label, head)
            if len(leftover) >= 3:
                new_total, rest = leftover[0], leftover[1:]
                self.breakdown_totals.add(new_total.amount.start)
                self._add_breakdown(new_total.label, new_total.amount, rest, exhaustive=True)

    def _completing_sentence(self, start: int, total: Amount, items: list[_Item]) -> list[_Item]:
        """`…其中年初预算2275.03万元，调整追加6775.26万元。其他往来资金款项4.26万元。`: a short
        next sentence holding the one part that makes the sum reach the total."""
        text = self.text
        end = _sentence_end(text, start, len(text))
        if end >= len(text) or text[end] != "。":
            return []
        next_end = _sentence_end(text, end + 1, len(text))
        amounts = money_amounts(text, end + 1, next_end)
        if len(amounts) != 1 or not total.money:
            return []
        parts_sum = sum((_yuan(self, i.amount) for i in items), Decimal(0)) + _yuan(self, amounts[0])
        if parts_sum != _yuan(self, total):
            return []
        label, _ = label_before(text, amounts[0].start, end + 1)
        return [_Item(clean_label(label), amounts[0])]

    def implicit_count_breakdowns(self) -> None:
        """`立案54起案件，一般程序案件36起，简易程序案件18起`: a counted total followed in the
        same sentence by parts of the same unit that add up to it exactly."""
        text = self.text
        for sentence in re.finditer(r"[^。\n]+", text):
            taken = self._part_starts()
            amounts = [
                a
                for a in all_amounts(text, sentence.start(), sentence.end())
                if not a.money and a.unit != "%" and a.start not in taken
            ]
            for index, total in enumerate(amounts):
                if total.start in self.breakdown_totals:
                    continue
                family = _count_family(total.unit)
                parts: list[Amount] = []
                for amount in amounts[index + 1 :]:
                    if _count_family(amount.unit) != family:
                        break
                    parts.append(amount)
                    parts_sum = sum((_yuan(self, p) for p in parts), Decimal(0))
                    if parts_sum >= _yuan(self, total):
                        break
                if len(parts) < 2 or sum((_yuan(self, p) for p in parts), Decimal(0)) != _yuan(self, total):
                    continue
                if _TRIGGER.search(text[total.unit_end : parts[-1].start]):
                    continue
                self.breakdown_totals.add(total.start)
                items = [
                    _Item(self._count_label(p, previous), p)
                    for p, previous in _with_previous_ends(parts, total.unit_end)
                ]
                label, _ = label_before(text, total.start, max(sentence.start(), total.start - 40))
                self._add_breakdown(
                    clean_label(label) or clean_label(self._label_after(total)), total, items, True
                )

    def _label_after(self, amount: Amount) -> str:
        after = self.text[amount.unit_end : amount.unit_end + 24]
        match = re.match(r"(?:均为|为|是)?([^，。；、,;]{1,20})", after)
        return match.group(1) if match else ""

    def _count_label(self, amount: Amount, previous_end: int) -> str:
        """A counted part's label: before the number, or after it in `7例均为一般反应`."""
        if re.match(r"(?:均为|为|是)", self.text[amount.unit_end : amount.unit_end + 2]):
            return clean_label(self._label_after(amount))
        label, _ = label_before(self.text, amount.start, previous_end)
        return clean_label(label)

    def _counted_breakdowns(self, trigger: re.Match[str]) -> bool:
        """`共调查9所学校2828名学生，其中2所幼儿园174人，…`: counted parts whose total is
        stated earlier in the sentence, one breakdown per counting unit."""
        text = self.text
        start, end = trigger.end(), _sentence_end(text, trigger.end(), len(text))
        sentence_start = max(text.rfind("。", 0, trigger.start()), text.rfind("\n", 0, trigger.start())) + 1
        parens = paren_ranges(text, sentence_start, end)
        families: dict[str, list[_Item]] = {}
        previous_end = start
        for amount in all_amounts(text, start, end):
            label, _ = label_before(text, amount.start, previous_end)
            previous_end = amount.unit_end
            if (
                amount.money
                or amount.unit == "%"
                or inside(parens, amount.start)
                or _STAT_LABEL.search(label)
            ):
                continue
            families.setdefault(_count_family(amount.unit), []).append(_Item(clean_label(label), amount))
        made = False
        for family, items in families.items():
            candidates = [
                a
                for a in all_amounts(text, sentence_start, trigger.start())
                if not a.money and _count_family(a.unit) == family and inside(parens, a.start) is None
            ]
            if len(items) < 2 or not candidates:
                continue
            parts_sum = sum((_yuan(self, i.amount) for i in items), Decimal(0))
            exact = [c for c in candidates if _yuan(self, c) == parts_sum]
            total = exact[-1] if exact else candidates[-1]
            if total.start in self.breakdown_totals or not _plausible_counts(total, items, self):
                continue
            self.breakdown_totals.add(total.start)
            label, _ = label_before(text, total.start, max(sentence_start, total.start - 40))
            self._add_breakdown(clean_label(label), total, items, exhaustive=True)
            made = True
        return made

    def _untotalled_list(self, trigger: re.Match[str]) -> None:
        """`…的支出，主要包括A 10万元，B 20万元，…`: a list whose total was stated earlier."""
        money_total = Amount(trigger.start(), trigger.start(), "万元", trigger.start())
        items = [
            i
            for i in self._items_after(trigger.end(), money_total)
            if i.amount.start not in self.used_amounts
        ]
        if len(items) < 3 or any(i.amount.start in self._part_starts() for i in items):
            return
        total = self._matching_total(items, trigger.start())
        if total is not None:
            total_label, _ = label_before(self.text, total.start, max(0, total.start - 60))
            self._add_breakdown(clean_label(total_label), total, items, exhaustive=True)
            self._list_projects(clean_label(total_label), items)
            return
        sentence_start = max(
            self.text.rfind("。", 0, trigger.start()), self.text.rfind("\n", 0, trigger.start())
        )
        self._list_projects(self.text[sentence_start + 1 : trigger.start()], items)

    def _total_before(self, position: int) -> Amount | None:
        """The amount a trigger at `position` refers to: the last one before it, with only
        punctuation (or a parenthesis) in between."""
        text = self.text
        window_start = max(0, position - 120)
        parens = paren_ranges(text, window_start, position)
        candidates = [a for a in all_amounts(text, window_start, position) if inside(parens, a.start) is None]
        if not candidates:
            return None
        total = candidates[-1]
        gap = text[total.unit_end : position]
        gap = re.sub(r"[（(][^（()）]*[）)]", "", gap)
        if not re.fullmatch(r"[，,。：:\s]*", gap):
            return None
        if total.unit == "%":
            return None
        if "。" in gap:
            # a sentence opening with 其中 spells out the sentence before it: its one amount, or,
            # when it states several (`预算100万元，支出87万元，结转13万元。其中…`), the one the
            # parts add up to (issue 12 §3: never simply the last)
            sentence_start = max(text.rfind("。", 0, total.start), text.rfind("\n", 0, total.start)) + 1
            stated = [a for a in candidates if a.start >= sentence_start and a.money]
            if len(stated) > 1:
                return self._summed_total(stated, position)
        # an amount that is itself inside parentheses is not a total
        opened = text.rfind("（", window_start, total.start)
        closed = text.rfind("）", window_start, total.start)
        if opened > closed:
            return None
        return total

    def _summed_total(self, stated: list[Amount], trigger: int) -> Amount | None:
        """The one of `stated` that the parts after the trigger at `trigger` add up to, if any."""
        match = _TRIGGER.match(self.text, trigger)
        start = match.end() if match else trigger
        for total in reversed(stated):
            items = self._items_after(start, total)
            head, leftover = _close_at_sum(total, items, self)
            if items and not leftover and len(head) >= 2:
                parts = sum((_yuan(self, i.amount) for i in head), Decimal(0))
                tolerance = Decimal("0.005") * MONEY_UNITS.get(total.unit, Decimal(1)) * (len(head) + 1)
                if abs(parts - _yuan(self, total)) <= tolerance:
                    return total
        return None

    def _items_after(self, start: int, total: Amount) -> list[_Item]:
        """Parts following a trigger: on the same sentence, or numbered lines after `：\\n`."""
        text = self.text
        rest = text[start : start + 3]
        if re.match(r"[：:]?\s*\n", rest):
            return self._numbered_lines(text.index("\n", start) + 1, total)
        end = _sentence_end(text, start, len(text))
        items = self._items_in(start, end, total)
        return items

    def _items_in(self, start: int, end: int, total: Amount) -> list[_Item]:
        text = self.text
        parens = paren_ranges(text, start, end)
        items: list[_Item] = []
        previous_end = start
        for amount in all_amounts(text, start, end):
            label, _ = label_before(text, amount.start, previous_end)
            previous_end = amount.unit_end
            if inside(parens, amount.start) is not None:
                continue
            if _TRIGGER.search(text[max(start, amount.start - 40) : amount.start]) and items:
                # a nested 其中 opens its own breakdown: stop here
                pass
            if amount.unit == "%" or _STAT_LABEL.search(label):
                continue
            if not _same_family(amount, total):
                continue
            if not label:
                continue
            items.append(_Item(clean_label(label), amount))
            self._nested_paren(label, amount, parens)
        return items

    def _nested_paren(self, label: str, amount: Amount, parens: list[tuple[int, int]]) -> None:
        """`基本支出378.14万元（包括人员支出335.18万元，公用经费支出42.96万元）`."""
        text = self.text
        for lo, hi in parens:
            if lo == amount.unit_end and re.match(r"[（(](?:包括|其中|含)", text[lo:hi]):
                if amount.start in self.breakdown_totals:
                    return
                parts = self._items_in(lo + 1, hi - 1, amount)
                if len(parts) >= 2:
                    self.breakdown_totals.add(amount.start)
                    exhaustive = not text[lo + 1 :].startswith("含")
                    self._add_breakdown(clean_label(label), amount, parts, exhaustive=exhaustive)
                return

    def _numbered_lines(self, start: int, total: Amount) -> list[_Item]:
        text = self.text
        items: list[_Item] = []
        offset = start
        while offset < len(text):
            line_end = text.find("\n", offset)
            line_end = len(text) if line_end == -1 else line_end
            line = text[offset:line_end]
            number = _LIST_NUMBER.match(line)
            if not number:
                break
            amounts = [a for a in money_amounts(text, offset, line_end) if _same_family(a, total)]
            if amounts:
                amount = amounts[0]
                label, _ = label_before(text, amount.start, offset + number.end())
                items.append(_Item(clean_label(label), amount))
            offset = line_end + 1
        return items

    # -- pass 3: numbered item lists without a trigger (`1、…项目支出0.78万元；2、…`) -----------
    def numbered_lists(self) -> None:
        text = self.text
        matches = list(_NUMBERED_ITEM.finditer(text))
        groups: list[list[re.Match[str]]] = []
        for match in matches:
            if groups and _adjacent(text, groups[-1][-1], match):
                groups[-1].append(match)
            else:
                groups.append([match])
        for group in groups:
            if len(group) < 3:
                continue
            first_amount = group[0].start("number")
            if any(first_amount <= t < group[-1].end() for t in self.breakdown_totals):
                continue
            items = [
                _Item(
                    clean_label(m.group("label")),
                    Amount(m.start("number"), m.end("number"), _unit(m.group("unit")), m.end("unit")),
                )
                for m in group
            ]
            if any(item.amount.start in self._part_starts() for item in items):
                continue
            heading = self._heading_before(group[0].start())
            total = self._matching_total(items, group[0].start())
            if total is not None:
                total_label, _ = label_before(text, total.start, max(0, total.start - 60))
                self._add_breakdown(clean_label(total_label), total, items, exhaustive=True)
                self._list_projects(clean_label(total_label), items)
            else:
                self._list_projects(heading, items)

    def _part_starts(self) -> set[int]:
        """Normalised offsets of every amount already used in a breakdown."""
        return self.breakdown_amounts

    def _heading_before(self, position: int) -> str:
        """The nearest non-empty line above `position` (a list's heading)."""
        before = self.text[:position].rstrip("\n ")
        for line in reversed(before.splitlines()):
            if line.strip():
                return line.strip()
        return ""

    def _matching_total(self, items: list[_Item], position: int) -> Amount | None:
        """An earlier amount labelled like a project total whose value equals Σ items."""
        total_yuan = sum((_yuan(self, i.amount) for i in items), Decimal(0))
        if self._money_in_text is None:  # found once: rescanning the text before each list was quadratic
            self._money_in_text = money_amounts(self.text)
        before = self._money_in_text[: bisect_right(self._money_in_text, position, key=lambda a: a.unit_end)]
        for amount in reversed(before):
            label, _ = label_before(self.text, amount.start, max(0, amount.start - 30))
            if not re.search(r"(?:项目|专项)(?:支出|资金)", label):
                continue
            if abs(_yuan(self, amount) - total_yuan) <= Decimal("0.005") * MONEY_UNITS[amount.unit] * (
                len(items) + 1
            ):
                return amount
        return None

    # -- pass 5: 三公经费, a spending category stated with its budget and actual ---------------
    def spending_categories(self) -> None:
        """`“三公”经费…预算为10万元，支出决算为0.94万元，完成预算的9.4%，其中：公务接待费…`.

        The category and each sub-category with a non-zero budget become projects
        (`budget_total`, `spent`, `execution_rate`) so their rates can be checked; the
        budget and actual splits become breakdowns."""
        text = self.text
        amounts = all_amounts(text)
        budget = spent = None
        for index, amount in enumerate(amounts):
            label, _ = label_before(text, amount.start, max(0, amount.start - 40))
            if amount.money and "三公" in label and re.search(r"预算|控制额", label):
                budget = amount
                for later in amounts[index + 1 : index + 6]:
                    later_label, _ = label_before(text, later.start, amounts[index].unit_end)
                    if later.money and re.search(r"决算|实际使用|实际支出", later_label):
                        spent = later
                        break
                break
        if budget is None or budget.start in self.used_amounts:
            return
        category = self.new_project("三公经费", None, budget.start, budget.start)
        category.add(FactKey.BUDGET_TOTAL, self.number(budget))
        if spent is not None:
            category.add(FactKey.SPENT, self.number(spent))
            rate = self._rate_after(spent.unit_end)
            if rate is not None:
                category.add(FactKey.EXECUTION_RATE, self.number(rate))
        window_end = min(len(text), budget.start + 600)
        children: dict[str, _ProjectDraft] = {}
        budget_parts: list[_Item] = []
        spent_parts: list[_Item] = []
        for match in _THREE_PUBLIC_ITEMS.finditer(text, budget.unit_end, window_end):
            name = match.group()
            clause_end = _clause_end(text, match.end())
            draft = children.setdefault(name, _ProjectDraft(name, "三公经费", match.start(), match.end()))
            previous_end = match.end()
            for amount in all_amounts(text, match.end(), clause_end):
                label, _ = label_before(text, amount.start, previous_end)
                previous_end = amount.unit_end
                if amount.unit == "%":
                    if is_rate_label(label):
                        draft.add(FactKey.EXECUTION_RATE, self.number(amount))
                    continue
                if not amount.money:
                    continue
                is_budget = "预算" in label or (
                    not re.search(r"决算|支出", label) and (spent is None or amount.start < spent.start)
                )
                key = FactKey.BUDGET_TOTAL if is_budget else FactKey.SPENT
                if key not in draft.facts:
                    (budget_parts if is_budget else spent_parts).append(_Item(name, amount))
                draft.add(key, self.number(amount))
        for draft in children.values():
            budgets = draft.facts.get(FactKey.BUDGET_TOTAL)
            if budgets and budgets[0].value != 0 and draft.name not in self.project_names:
                self.projects.append(draft)
                self.project_names.add(draft.name)
        for total, parts in ((budget, budget_parts), (spent, spent_parts)):
            if total is not None and len(parts) >= 2 and total.start not in self.breakdown_totals:
                self.breakdown_totals.add(total.start)
                total_label, _ = label_before(text, total.start, max(0, total.start - 40))
                self._add_breakdown(clean_label(total_label), total, parts, exhaustive=True)

    def _rate_after(self, position: int) -> Amount | None:
        end = _clause_end(self.text, position)
        previous_end = position
        for amount in all_amounts(self.text, position, end):
            label, _ = label_before(self.text, amount.start, previous_end)
            previous_end = amount.unit_end
            if amount.unit == "%" and is_rate_label(label):
                return amount
        return None

    # -- lists that name projects ------------------------------------------------------------
    def _list_projects(self, total_label: str, items: list[_Item]) -> None:
        """Items of a list under a project total become projects with one fact."""
        if not re.search(r"(?:项目|专项).*(?:支出|预算)|项目资金", total_label) or "收入" in total_label:
            return
        key = FactKey.BUDGET_TOTAL if ("预算" in total_label and "决算" not in total_label) else FactKey.SPENT
        names = [_project_name(item.label) for item in items]
        if all(name.endswith(("资金", "收入", "拨款")) or FUNDING_SOURCE.match(name) for name in names):
            return  # a split by source of funds (区级资金/上级资金, 中央补助), not a list of projects
        for item, name in zip(items, names, strict=True):
            if not name or name.endswith(("支出", "支持")) or name in self.project_names:
                continue
            if is_generic_name(name):
                continue
            draft = self.new_project(name, None, item.amount.start, item.amount.start)
            draft.add(key, self.number(item.amount))

    def _add_breakdown(self, total_label: str, total: Amount, parts: list[_Item], exhaustive: bool) -> None:
        self.breakdown_amounts.update([total.start, *(part.amount.start for part in parts)])
        self.breakdowns.append(
            Breakdown(
                unit=total.unit,
                total=BreakdownItem(label=total_label, amount=self.number(total)),
                parts=[
                    BreakdownItem(label=_project_name(p.label) or p.label, amount=self.number(p.amount))
                    for p in parts
                ],
                exhaustive=exhaustive,
                chunk_id=self.chunk_id(total.start),
            )
        )

    # -- result ------------------------------------------------------------------------------
    def result(self) -> DocumentExtraction:
        organization = organization_of(self.text)
        parts = self.breakdown_amounts - self.breakdown_totals
        general = read_general(self.document, organization, self.used_amounts | parts, self.disabled)
        projects = [
            Project(
                name=draft.name,
                parent=draft.parent,
                unit=_main_unit(draft.facts),
                facts=draft.facts,
                name_span=_span(self.document, draft.name_start, draft.name_end),
                chunk_id=self.chunk_id(draft.name_start),
                source="rules",
            )
            for draft in self.projects
            if draft.facts
        ]
        known = {p.name for p in projects}
        projects += [p for p in general.projects if p.name not in known]
        # a list item whose only amounts are stated zeros (`对下转移支付0万元`) says nothing checkable
        projects = [p for p in projects if p.parent is not None or not _only_zeros(p)]
        breakdowns = self.breakdowns + _new_breakdowns(self.breakdowns, general.breakdowns)
        placed = general.placed | self.used_amounts | self.breakdown_amounts
        fiscal_year = fiscal_year_of(self.text)
        from_text = (
            [] if "text_indicators" in self.disabled else extract_indicators(self.document, self.chunks)
        )
        indicators = [
            _named_by_line(self.document, i)
            for i in _merge_indicators(general.indicators, from_text, projects)
        ]
        return DocumentExtraction(
            document=self.document.name,
            organization=organization,
            fiscal_year=fiscal_year,
            projects=projects,
            indicators=indicators,
            breakdowns=breakdowns,
            statements=cost_statements(projects, indicators, fiscal_year)
            + restated_statements(general.restated, fiscal_year),
            coverage=coverage(self.document, general.candidates, placed),
        )


#: The passes of this module, by the name `extract(disabled=…)` and `bench/ablation.py` use.
TEMPLATE_PASSES: tuple[str, ...] = (
    "quoted_projects",
    "triggered_breakdowns",
    "numbered_lists",
    "implicit_count_breakdowns",
    "spending_categories",
)


def extract(
    document: Document, chunks: list[Chunk], disabled: frozenset[str] = frozenset()
) -> DocumentExtraction:
    """Everything the rules backend finds in `document`.

    `disabled` names passes (`TEMPLATE_PASSES`) or general stages (`general.STAGES`) to leave
    out, so that an ablation can measure what each adds."""
    extractor = _Extractor(document, chunks, disabled)
    for name in TEMPLATE_PASSES:
        if name not in disabled:
            getattr(extractor, name)()
    return extractor.result()


# -- module helpers ------------------------------------------------------------------------------
def _sentence_end(text: str, start: int, limit: int) -> int:
    """End of the sentence starting at `start`: the first 。 or newline outside （…）."""
    depth = 0
    for i in range(start, min(limit, len(text))):
        ch = text[i]
        if ch in "（(":
            depth += 1
        elif ch in "）)" and depth:
            depth -= 1
        elif ch == "\n" or (ch == "。" and depth == 0):
            return i
    return min(limit, len(text))


def _clause_end(text: str, start: int) -> int:
    """End of the clause after `start`: the sentence end, or the next sub-category name."""
    end = _sentence_end(text, start, len(text))
    following = _THREE_PUBLIC_ITEMS.search(text, start, end)
    return following.start() if following else end


def _with_previous_ends(amounts: list[Amount], start: int) -> list[tuple[Amount, int]]:
    pairs: list[tuple[Amount, int]] = []
    previous = start
    for amount in amounts:
        pairs.append((amount, previous))
        previous = amount.unit_end
    return pairs


def _count_family(unit: str) -> str:
    """Counting units that mean the same thing (`2828名学生` and `174人`)."""
    return "人" if unit in ("名", "人") else unit


def _unit(raw: str) -> str:
    return "万元" if raw == "万" else raw


def _same_family(amount: Amount, total: Amount) -> bool:
    if total.money:
        return amount.money
    return amount.unit == total.unit


def _yuan(extractor: _Extractor, amount: Amount) -> Decimal:
    value = Decimal(extractor.text[amount.start : amount.end])
    return value * MONEY_UNITS.get(amount.unit, Decimal(1))


def _close_at_sum(
    total: Amount, items: list[_Item], extractor: _Extractor
) -> tuple[list[_Item], list[_Item]]:
    """Split `items` where their running sum first equals the total (within rounding)."""
    if not total.money and not items:
        return items, []
    target = _yuan(extractor, total)
    running = Decimal(0)
    for index, item in enumerate(items):
        running += _yuan(extractor, item.amount)
        scale = MONEY_UNITS.get(total.unit, Decimal(1))
        tolerance = Decimal("0.005") * scale * (index + 2)
        if abs(running - target) <= tolerance and index < len(items) - 1:
            return items[: index + 1], items[index + 1 :]
    return items, []


def _plausible_counts(total: Amount, items: list[_Item], extractor: _Extractor) -> bool:
    """Counted parts (人, 家 …) are a breakdown only when they come close to the total:
    `实有在职人员50人，其中：政府雇员9人…` lists a few kinds, not the whole."""
    if total.money:
        return True
    target = _yuan(extractor, total)
    parts = sum((_yuan(extractor, i.amount) for i in items), Decimal(0))
    return target > 0 and abs(parts - target) <= target / 10


def _adjacent(text: str, previous: re.Match[str], current: re.Match[str]) -> bool:
    between = text[previous.end() : current.start()]
    return len(between) <= 3 and not re.search(r"\n\s*\n", between)


def _project_name(label: str) -> str:
    name = _LIST_NUMBER.sub("", clean_label(label))
    name = re.sub(r"(?<=.项目)支出$|(?<=.专项)支出$", "", name)
    return name.strip()


def _main_unit(facts: dict[FactKey, list[StatedNumber]]) -> str | None:
    units = Counter(
        n.unit for key, numbers in facts.items() if key is not FactKey.EXECUTION_RATE for n in numbers
    )
    return units.most_common(1)[0][0] if units else None


def _span(document: Document, start: int, end: int) -> Span:
    original_start, original_end = document.offsets.original_span(start, end)
    return Span(start=original_start, end=original_end)


#: An indicator name made of table debris (cell separators, formula fragments) names nothing.
_DEBRIS_NAME = re.compile(r"[|]|^[\s\d.]*$|[A-Z]/[A-Z]")


def _profiles(text: str, start: int, end: int) -> bool:
    """Parts each given with a count (`本级项目8个，支出385.58万元；对下项目0个，0万元`) profile
    some categories of the total; they make no claim to add up to it."""
    return len(re.findall(r"\d+(?:个|项|家|所)", text[start:end])) >= 2


def _spends(text: str, total: Amount) -> bool:
    """The amount a 其中 follows is a spending (支出57.3万元，其中…)."""
    role = money_role(text, total.start, total.unit_end, max(0, total.start - 60))
    return role is not None and role.key is FactKey.SPENT


def _only_zeros(project: Project) -> bool:
    numbers = [n for numbers in project.facts.values() for n in numbers]
    return bool(numbers) and all(n.value == 0 for n in numbers)


def _is_flow_label(label: str) -> bool:
    """A label naming a flow of a project (年初预算, 上年结转, 追加, 调减 …), not a part."""
    role = money_role(label, len(label), len(label), 0)
    return role is not None and role.key in FLOW_PART_KEYS


def _new_breakdowns(known: list[Breakdown], found: list[Breakdown]) -> list[Breakdown]:
    """Breakdowns of the general stages that no pass has read yet (one total may have two: a
    split by source and a list of projects, each with its own parts)."""
    seen = {(b.total.amount.span, tuple(p.amount.span for p in b.parts)) for b in known}
    return [b for b in found if (b.total.amount.span, tuple(p.amount.span for p in b.parts)) not in seen]


def _is_project_rate(indicator: Indicator, project_rates: set[Span]) -> bool:
    """A rate already read as a project's execution rate (convention 4) is no indicator."""
    return any(n is not None and n.span in project_rates for n in (indicator.actual, indicator.rate))


#: A name that is only the label of a value (`目标值≥90%`): the indicator is named by its line.
_LABEL_ONLY_NAME = re.compile(r"^(?:年度)?(?:目标值|指标值|计划值|实际完成值?|完成值|实际值|实际|目标|计划)$")
_LINE_LABEL = re.compile(
    r"[ \t]*(?:\d{1,2}[、.．](?!\d)|[（(]\d{1,2}[）)])?[ \t]*(?P<label>[^：:，,。\n]{2,40})[：:]"
)


def _named_by_line(document: Document, indicator: Indicator) -> Indicator:
    """`1.建档率：目标值≥90%，实际完成93.6%。`: an indicator named only by a value label takes
    the label its line opens with."""
    if indicator.name_span is None or not _LABEL_ONLY_NAME.match(indicator.name):
        return indicator
    text = document.original_text
    line_start = text.rfind("\n", 0, indicator.name_span.start) + 1
    match = _LINE_LABEL.match(text, line_start)
    if match is None or match.end("label") > indicator.name_span.start:
        return indicator
    label = match.group("label").strip()
    label_start = match.start("label")
    glued = re.match(r"(\d{1,2})[.．]", label)
    if glued is not None and _previous_line_opens_with(text, line_start, int(glued.group(1)) - 1):
        label, label_start = label[glued.end() :], label_start + glued.end()  # `2.65岁…` under `1.…`
    return indicator.model_copy(
        update={
            "name": label,
            "name_span": Span(start=match.start("label"), end=match.start("label") + len(label)),
        }
    )


def _previous_line_opens_with(text: str, line_start: int, number: int) -> bool:
    """The line before `line_start` is list item `number` (`1.…` before `2.65岁…`)."""
    previous_start = text.rfind("\n", 0, max(0, line_start - 1)) + 1
    return re.match(rf"[ \t]*{number}[.．、]", text[previous_start:line_start]) is not None


def _merge_indicators(
    from_tables: list[Indicator], from_text: list[Indicator], projects: list[Project]
) -> list[Indicator]:
    """Table rows first; a running-text indicator whose numbers a table row holds is dropped."""
    project_rates = {n.span for p in projects for n in p.facts.get(FactKey.EXECUTION_RATE, [])}
    spans = {
        number.span
        for indicator in from_tables
        for number in (indicator.target, indicator.actual, indicator.rate)
        if number is not None
    }
    kept = [
        indicator
        for indicator in from_text
        if not _DEBRIS_NAME.search(indicator.name)
        if not any(
            n is not None and n.span in spans for n in (indicator.target, indicator.actual, indicator.rate)
        )
    ]
    rows = [i for i in from_tables if not MONEY_FLOW_RATE.search(i.name)]
    return [i for i in rows + kept if not _is_project_rate(i, project_rates)]
