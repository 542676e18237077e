"""Stage 3 of the rules backend: projects from the report's discourse, and their money flows.

A report is about one project or fund unless it lists several. This stage finds:

- the main project: a `项目名称` form field, else the report's title line with
  its year, organisation and report-kind words (绩效自评报告 …) cut away;
- the flows of the money table of a form (年度资金总额 row by column header,
  the 上年结转 source row as `carryover_in`);
- every money amount in running text whose clause gives it a role
  (`pipeline.extract.rules.roles`), placed on the project its clause speaks of:
  the main project (named, or referred to as 该项目/此项资金, or not named at
  all), or another fund named right before the amount;
- lists whose items are projects: numbered lines with one amount each, and
  allocation lists (`资金安排如下：支持A 5万元，B 13万元`); the items take the
  role of the list's head, and the main project is their parent when the list
  spells out the main project's money.

Precision before recall: an amount with no role, or with no project to put it
on, is left unplaced and counts against coverage.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.extract.rules.candidates import Candidate, Kind
from pipeline.extract.rules.lexicon import (
    ALLOCATION_TRIGGER,
    ANAPHORA,
    ASPECT_HEADING,
    BASIC_SPENDING,
    COMPARISON,
    DEPARTMENT_REPORT,
    FLOW_PART_KEYS,
    FORM_FIELD,
    FUND_NOUN,
    FUNDING_SOURCE,
    NAME_FIELD,
    NOT_A_PROJECT,
    ORGANIZATION_END,
    PART_TRIGGER,
    SECTION_WORDS,
    SELF_REFERENCE,
    TITLE_SUFFIX,
    VAGUE_FUND,
)
from pipeline.extract.rules.roles import Role, clause_start, is_execution_rate, money_role
from pipeline.extract.rules.tables import MoneyTable, ProjectRowTable, cells, row_label
from schemas import FactKey
from schemas.names import strip_quotes

_YEAR_WORDS = re.compile(r"[(（]?(?:19|20)\d{2}\s*年度?[)）]?|[(（]\s*[)）]")
_TITLE_NOISE = re.compile(r"^[《“\"【\[]|[》”\"】\]]$|^关于|^(?:\d+[、.])")
#: How a column of a table of projects is named in a breakdown's total label.
_COLUMN_WORDS = {
    FactKey.BUDGET_INITIAL: "年初预算数",
    FactKey.BUDGET_TOTAL: "全年预算数",
    FactKey.SPENT: "全年执行数",
    FactKey.CARRYOVER_OUT: "结余",
}
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_ORDINAL = re.compile(r"^[ \t]*(?:\d{1,2}[、.．](?!\d)|[(（]\d{1,2}[)）])[ \t]*")
_LEADING_VERBS = re.compile(
    r"^(?:用于|支持|安排|给予|分配(?:至|到|给)?|补助|拨付|下达|其中|包括|以及|和|及|、)+"
)
_GENERIC_NAMES = re.compile(
    r"^(?:(?:财政拨款|本级|部门|单位|其他|专项)?(?:项目|专项)(?:支出|资金)?|部门|部门整体支出|整体支出|资金|财政资金|预算)$"
)


@dataclass
class ProjectDraft:
    """A project being read: its name, parent, where the name was found, and its facts."""

    name: str
    parent: str | None
    name_start: int
    name_end: int
    facts: dict[FactKey, list[Candidate]] = field(default_factory=dict)

    def add(self, key: FactKey, number: Candidate, adds: bool = False) -> bool:
        """Record a fact. A second amount of one kind is kept only where amounts add: `supplement`
        lists, or `adds` (an item's amounts spread over places: `A县16.2万元，B县31.2万元`)."""
        if key not in self.facts:
            self.facts[key] = [number]
            return True
        if (key is FactKey.SUPPLEMENT or adds) and number not in self.facts[key]:
            self.facts[key].append(number)
            return True
        return False


#: A list item: its name, where the name starts, its amount and the role its own words give.
_ListItem = tuple[str, int, Candidate, Role | None]


@dataclass(frozen=True)
class BreakdownDraft:
    """A project's amount and the list items that spell it out."""

    label: str
    total: Candidate
    parts: list[tuple[str, Candidate]]


@dataclass(frozen=True)
class Restatement:
    """A project's fact stated a second time (`first`, then `again`)."""

    project: str
    key: FactKey
    first: Candidate
    again: Candidate


@dataclass
class DiscourseResult:
    """What the discourse stage placed: the projects, the amounts used (by start offset) and
    the breakdowns that lists of allocations make."""

    projects: list[ProjectDraft]
    placed: set[int]
    breakdowns: list[BreakdownDraft] = field(default_factory=list)
    restated: list[Restatement] = field(default_factory=list)


def similar(left: str, right: str) -> float:
    """Bigram Dice of two names, with containment (≥ 4 characters) counted as 0.9."""
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    shorter, longer = sorted((left, right), key=len)
    if len(shorter) >= 4 and shorter in longer:
        return 0.9
    grams_a = Counter(left[i : i + 2] for i in range(len(left) - 1))
    grams_b = Counter(right[i : i + 2] for i in range(len(right) - 1))
    total = sum(grams_a.values()) + sum(grams_b.values())
    return 2 * sum((grams_a & grams_b).values()) / total if total else 0.0


# --- the main project --------------------------------------------------------------------------


def main_project_name(text: str, organization: str | None) -> tuple[str, int, int] | None:
    """The report's own project: a 项目名称 form field, else its title line."""
    return _name_field(text) or _title_name(text, organization)


def _name_field(text: str, last: bool = False) -> tuple[str, int, int] | None:
    """The name in a `项目名称` form field of `text` (its first 4000 characters), or the last
    one when `last` (the form that stands right before a table)."""
    found = [field for field in _name_fields(text[-4000:] if last else text[:4000])]
    if last and found:
        offset = max(0, len(text) - 4000)
        name, start, end = found[-1]
        return name, start + offset, end + offset
    return found[0] if found else None


def _name_fields(text: str) -> Iterator[tuple[str, int, int]]:
    all_cells = cells(text)
    for index, cell in enumerate(all_cells):
        match = NAME_FIELD.search(cell.text)
        if match is None or match.start() > 2:
            continue
        rest = cell.text[match.end() :].lstrip(":： ")
        if rest:
            stop = FORM_FIELD.search(rest)
            name = rest[: stop.start()] if stop else rest
            start = cell.start + cell.text.index(name) if name else cell.start
        elif index + 1 < len(all_cells):
            following = all_cells[index + 1]
            name, start = following.text.strip(":： "), following.start
            if FORM_FIELD.match(name):
                continue
        else:
            continue
        name = _clean_name(name)
        if 2 <= len(name) <= 60:
            yield name, start, start + len(name)


def _title_name(text: str, organization: str | None) -> tuple[str, int, int] | None:
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True)):
        if number > 40 or offset > 3000:
            break
        stripped = line.strip().strip("|").strip()
        suffix = TITLE_SUFFIX.search(stripped)
        if (
            suffix
            and len(stripped) <= 90
            and suffix.start() >= 4
            and suffix.end() >= len(stripped) - 8
            and not re.search(r"[，,。；;>＞]", stripped)
        ):
            if re.match(r"(?:项目支出|部门整体支出|整体支出|部门)", suffix.group(0)):
                return None  # a department's report on all its projects has no main project
            head = stripped[: suffix.start()]
            field, colon, value = head.rpartition("：") if "：" in head else head.rpartition(":")
            if colon and not re.search(r"标题|名称|题目", field):
                offset += len(line)
                continue
            head = value if colon else head
            name = _clean_name(_YEAR_WORDS.sub("", head))
            if organization and name.startswith(organization) and len(name) > len(organization) + 3:
                name = name[len(organization) :]
            name = re.sub(r"^关于|的$", "", name)
            if (
                organization
                and name.startswith(organization)
                and DEPARTMENT_REPORT.fullmatch(name[len(organization) :])
            ):
                return None  # a department's report on all its projects has no main project
            if (organization and name == organization) or DEPARTMENT_REPORT.fullmatch(name):
                return None
            if ORGANIZATION_END.search(re.sub(r"(?:项目|项目支出|项目资金|整体支出)$", "", name)):
                return None  # `某某中心项目自评`: a unit's report on its projects names none of them
            if len(name) >= 4 and not _GENERIC_NAMES.match(name) and not SECTION_WORDS.fullmatch(name):
                start = offset + line.find(name) if name in line else offset
                return name, start, start + len(name)
        offset += len(line)
    return None


def _clean_name(name: str) -> str:
    name = _TITLE_NOISE.sub("", name.strip())
    name = strip_quotes(name)
    name = re.sub(r"\s+", "", name)
    return name.strip(":：|,，。")


# --- the reader ---------------------------------------------------------------------------------


class DiscourseReader:
    """Reads projects and flows from one document's normalised text and its candidates."""

    def __init__(
        self,
        text: str,
        candidates: list[Candidate],
        tables: list[MoneyTable],
        organization: str | None,
        taken: set[int],
        disabled: frozenset[str] = frozenset(),
        project_tables: list[ProjectRowTable] | None = None,
    ) -> None:
        self.disabled = disabled
        self.project_tables = project_tables or []
        self.text = text
        self.candidates = candidates
        self.tables = tables
        self.taken = set(taken)
        self.placed: set[int] = set()
        self.projects: list[ProjectDraft] = []
        found = main_project_name(text, organization)
        self.main: ProjectDraft | None = None
        if found:
            name, start, end = found
            self.main = ProjectDraft(name, None, start, end)
            self.projects.append(self.main)
        self.sections = _heading_sections(text)
        self._index_size = -1
        self._bounds: list[int] = []
        self._owners: list[_Section | None] = []
        self.masks = self._name_masks()
        #: the projects of each list, in text order, for `_adopt_lists`
        self.lists: list[list[ProjectDraft]] = []
        self.breakdowns: list[BreakdownDraft] = []
        self.restated: list[Restatement] = []
        self.explicit: set[int] = set()
        #: totals a sentence opening with 其中 spells out, by start: their breakdowns
        self.spelled_out: dict[int, BreakdownDraft] = {}

    def _between(self, start: int, end: int) -> list[Candidate]:
        """The candidates starting in `[start, end)`; they are in text order, so two bisections
        instead of a scan of them all (which made large texts quadratic)."""
        first = bisect_left(self.candidates, start, key=lambda candidate: candidate.start)
        stop = bisect_left(self.candidates, end, key=lambda candidate: candidate.start)
        return self.candidates[first:stop]

    def _name_masks(self) -> list[tuple[int, int]]:
        if self.main is None:
            return []
        masks: list[tuple[int, int]] = []
        for match in re.finditer(re.escape(self.main.name), self.text):
            masks.append((match.start(), match.end()))
        return masks

    def read(self) -> DiscourseResult:
        self._tables()
        if "lists" not in self.disabled:
            self._lists()
        if "prose" not in self.disabled:
            self._prose()
        self._adopt_lists()
        self.breakdowns += [b for b in self.spelled_out.values() if len(b.parts) >= 2]
        kept = [p for p in self.projects if p.facts and not _only_zeros(self.text, p)]
        return DiscourseResult(kept, self.placed, self.breakdowns, self.restated)

    def _adopt_lists(self) -> None:
        """A list spells out the money of the project stated just before it: that project is
        the items' parent, and a list of allocations is also a breakdown of its amount."""
        for items in self.lists:
            first = items[0]
            keys = {key for item in items for key in item.facts}
            owner, total = self._owner_before(first.name_start, {id(i) for i in items}, _family(keys))
            if owner is None or total is None:
                self._unowned_list_total(items)
                continue
            for item in items:
                item.parent = owner.name
            parts = [(i.name, numbers[0]) for i in items for numbers in i.facts.values() if numbers]
            if len(parts) >= 2 and all(c.money for _, c in parts) and total.money:
                self.breakdowns.append(BreakdownDraft(owner.name, total, parts))

    def _unowned_list_total(self, items: list[ProjectDraft]) -> None:
        """A list under an amount no project holds (`项目支出609.74万元…具体如下：1、…`) is a
        breakdown of that amount only when the items add up to it within rounding."""
        parts = [(i.name, numbers[0]) for i in items for numbers in i.facts.values() if numbers]
        if len(parts) < 2 or not all(c.money and c.unit == parts[0][1].unit for _, c in parts):
            return
        start = items[0].name_start
        line_start = self.text.rfind("\n", 0, start)
        before = [
            c
            for c in self._between(max(0, line_start - 300), line_start)
            if c.money and c.unit == parts[0][1].unit
        ]
        for total in reversed(before):
            if _sums_to(self.text, total, [c for _, c in parts]):
                label_start = clause_start(self.text, total.start)
                label = _item_name(self.text[label_start : total.start]) or "合计"
                self.breakdowns.append(BreakdownDraft(label, total, parts))
                self.placed.add(total.start)
                return

    def _owner_before(
        self, position: int, exclude: set[int], family: frozenset[FactKey]
    ) -> tuple[ProjectDraft | None, Candidate | None]:
        """The project with a money fact of `family` stated closest before `position` (within
        300 characters): budget lines spell out a budget, spending lines a spending."""
        best: tuple[ProjectDraft | None, Candidate | None] = (None, None)
        nearest = -1
        for draft in self.projects:
            if id(draft) in exclude:
                continue
            for key, numbers in draft.facts.items():
                if key not in family:
                    continue
                for number in numbers:
                    if position - 300 <= number.start < position and number.start > nearest:
                        nearest, best = number.start, (draft, number)
        return best

    def _place(self, draft: ProjectDraft, key: FactKey, candidate: Candidate, explicit: bool = False) -> None:
        """Record a fact. `explicit`: its own words name its role (a specific keyword or a
        column header), so a second explicit statement of the same fact is the same quantity,
        and it takes the place of a first one named only vaguely (共计, 计划投资)."""
        if candidate.start in self.placed or candidate.start in self.taken:
            return
        existing = draft.facts.get(key, [])
        if (
            explicit
            and len(existing) == 1
            and existing[0].start not in self.explicit
            and key is not FactKey.SUPPLEMENT
        ):
            self.placed.discard(existing[0].start)
            del draft.facts[key]
        adds = key is FactKey.TRANSFER_IN and all(
            self.text[c.start : c.end] != self.text[candidate.start : candidate.end] for c in existing
        )  # allotments from several levels (中央下达2000万元，省级下达500万元) add up
        if draft.add(key, candidate, adds=adds):
            self.placed.add(candidate.start)
            if explicit:
                self.explicit.add(candidate.start)
            return
        first = draft.facts[key]
        if (
            explicit
            and len(first) == 1
            and first[0].start in self.explicit
            and key is not FactKey.SUPPLEMENT
            and not self._other_period(candidate, first[0])
        ):
            # the same quantity stated again: the checker compares the two (`conflict`)
            self.restated.append(Restatement(draft.name, key, first[0], candidate))
            self.placed.add(candidate.start)

    def _other_period(self, candidate: Candidate, first: Candidate) -> bool:
        """A restatement whose sentence compares with another year speaks of another quantity."""
        sentence = self.text[clause_start(self.text, candidate.start) : candidate.start]
        years = {
            m.group(1) for m in _YEAR.finditer(self.text[clause_start(self.text, first.start) : first.start])
        }
        own = {m.group(1) for m in _YEAR.finditer(sentence)}
        return bool(COMPARISON.search(sentence)) or bool(own and years and own != years)

    # -- money tables -----------------------------------------------------------------------
    def _tables(self) -> None:
        for table in self.tables:
            if table.total is None:
                continue
            draft = self._project_for_table(table) or self.main
            if draft is None:
                continue
            for key, value in zip(table.columns, table.total.values, strict=True):
                if key is not None and value is not None:
                    self._place(draft, key, value, explicit=True)
            for row in table.sources:
                if re.search(r"上年(?:度)?结转|上年结余", row_label(row.label)):
                    budget = _column_value(table, row.values, FactKey.BUDGET_TOTAL)
                    if budget is None:
                        budget = _column_value(table, row.values, FactKey.BUDGET_INITIAL)
                    if budget is not None:
                        self._place(draft, FactKey.CARRYOVER_IN, budget)
            # a table's cells are read: the prose pass must not read them again
            self.taken.update(c.start for c in self._between(table.start, table.end))
        for rows in self.project_tables:
            drafts: list[ProjectDraft] = []
            for row in rows.rows:
                name = _clean_name(re.sub(r"^\d{1,2}[、.．]?", "", row.label.text))
                if len(name) < 2 or NOT_A_PROJECT.search(name) or is_generic_name(name):
                    continue
                draft = ProjectDraft(name, None, row.label.start, row.label.end)
                self.projects.append(draft)
                drafts.append(draft)
                for key, value in zip(rows.columns, row.values, strict=True):
                    if key is not None and value is not None:
                        self._place(draft, key, value, explicit=True)
            self.taken.update(c.start for c in self._between(rows.start, rows.end))
            if rows.total is None:
                continue
            for key, total in zip(rows.columns, rows.total.values, strict=True):
                if key is None or key is FactKey.EXECUTION_RATE or total is None:
                    continue
                parts = [(d.name, d.facts[key][0]) for d in drafts if key in d.facts]
                if len(parts) >= 2:
                    label = f"{row_label(rows.total.label)}({_COLUMN_WORDS.get(key, key.value)})"
                    self.breakdowns.append(BreakdownDraft(label, total, parts))
                    self.placed.add(total.start)

    def _project_for_table(self, table: MoneyTable) -> ProjectDraft | None:
        """The project a form names in its own 项目名称 field just before its money table (a
        report may hold one form per project)."""
        window_start = max(0, table.start - 600)
        found = _name_field(self.text[window_start : table.start], last=True)
        if found is None:
            return None
        name, start, end = found
        for draft in self.projects:
            if draft.name == name:
                return draft
        draft = ProjectDraft(name, None, window_start + start, window_start + end)
        self.projects.append(draft)
        return draft

    # -- lists of projects ------------------------------------------------------------------
    def _lists(self) -> None:
        self._numbered_items()
        self._allocation_lists()

    def _numbered_items(self) -> None:
        text = self.text
        items: list[_ListItem] = []
        offset = 0
        lines = text.splitlines(keepends=True)
        groups: list[list[_ListItem]] = []
        style: str | None = None
        for line in lines:
            ordinal = _ORDINAL.match(line)
            line_style = _ordinal_style(ordinal.group()) if ordinal else None
            if ordinal and _QUOTED_NAME.match(line, ordinal.end()):
                ordinal = None  # `1、项目“名称”…` is a heading that names a project, not a list item
            if not line.strip():
                offset += len(line)
                continue  # a blank line between items does not end their list
            if line_style != style or not ordinal:
                if len(items) >= 2:
                    groups.append(items)
                items = []
                style = line_style
            item = self._item(offset, offset + len(line), ordinal.end()) if ordinal else None
            if item is not None:
                items.append(item)
            offset += len(line)
        if len(items) >= 2:
            groups.append(items)
        for group in groups:
            head_key = self._list_head_role(group[0][1])
            if head_key is None:
                continue
            drafts: list[ProjectDraft] = []
            for name, start, candidate, role in group:
                own = role is not None and role.key in (FactKey.SPENT, FactKey.BUDGET_TOTAL)
                key = role.key if role is not None and own else head_key
                draft = ProjectDraft(name, None, start, start + len(name))
                self.projects.append(draft)
                self._place(draft, key, candidate)
                for more in self._spread(candidate):
                    if more.start not in self.placed and draft.add(key, more, adds=True):
                        self.placed.add(more.start)
                drafts.append(draft)
                # the rest of the item's line speaks of the item (`（1）A支出30万元，其中年初预算28万元`)
                line_end = self.text.find("\n", start)
                end = len(self.text) if line_end == -1 else line_end
                self.sections.append(_Section(name, start, start + len(name), 9, start, end, draft))
            self.lists.append(drafts)

    def _spread(self, first: Candidate) -> list[Candidate]:
        """Amounts that continue an item's first one in its sentence, each after a short place or
        recipient with no keyword of its own (`给予A县X费34.7万元，B区16.2万元，C县31.2万元`)."""
        ends = (self.text.find("。", first.unit_end), self.text.find("\n", first.unit_end))
        stops = [i for i in ends if i != -1]
        end = min(stops) if stops else len(self.text)
        found: list[Candidate] = []
        previous = first.unit_end
        for candidate in self._between(first.unit_end, end):
            if not candidate.money:
                continue
            between = self.text[previous : candidate.start]
            label = between.lstrip("，,、；; ")
            if (
                not candidate.usable
                or len(label) == len(between)
                or not 2 <= len(label) <= 6
                or FUND_NOUN.search(label)
                or PART_TRIGGER.search(label)  # `604万元，其中：A 80万元`: parts, not more of the item
                or re.search(r"[：:]", label)
                or money_role(self.text, candidate.start, candidate.unit_end, previous, self.masks)
            ):
                break
            found.append(candidate)
            previous = candidate.unit_end
        return found

    def _item(self, line_start: int, line_end: int, ordinal_end: int) -> _ListItem | None:
        """A numbered line holding one money amount (the first) after a short label."""
        begin = line_start + ordinal_end
        money = [c for c in self._between(begin, line_end) if c.money and c.usable]
        if not money or money[0].start in self.taken:
            return None
        first = money[0]
        begin = clause_start(self.text, first.start, begin)
        role = money_role(self.text, first.start, first.unit_end, begin, self.masks)
        before = role is not None and role.keyword_start < first.start
        raw = self.text[begin : role.keyword_start if role is not None and before else first.start]
        if role is not None and before and not _item_name(raw):
            raw = self.text[role.keyword_end : first.start]  # `2.安排A经费20万元`: the name follows the verb
        name = _item_name(raw)
        if not (4 <= len(name) <= 40) or (SECTION_WORDS.search(name) and not FUND_NOUN.search(name)):
            return None
        if BASIC_SPENDING.search(name) or NOT_A_PROJECT.search(raw) or FUNDING_SOURCE.match(name):
            return None
        return name, begin, first, role

    def _list_head_role(self, first_item: int) -> FactKey | None:
        """The role of a list, read from the 200 characters before its first item."""
        line_start = self.text.rfind("\n", 0, first_item) + 1
        lines = [
            line for line in self.text[max(0, line_start - 300) : line_start].splitlines() if line.strip()
        ]
        if not lines:
            return None
        line = lines[-1]
        for context in (re.split(r"[。]", line.rstrip("。"))[-1], line):
            if re.search(r"预算|安排|分配|下达|批复", context):
                return FactKey.BUDGET_TOTAL
            if re.search(r"支出|使用|拨付|发放|开支", context):
                return FactKey.SPENT
        return None

    def _allocation_lists(self) -> None:
        for trigger in ALLOCATION_TRIGGER.finditer(self.text):
            end = self.text.find("。", trigger.end())
            end = len(self.text) if end == -1 else end
            if "\n" in self.text[trigger.end() : trigger.end() + 3]:
                continue  # a list on the following lines is read as numbered items
            money = [c for c in self._between(trigger.end(), end) if c.money and c.usable]
            money = [c for c in money if c.start not in self.taken and c.start not in self.placed]
            if len(money) < 2:
                continue
            previous = trigger.end()
            drafts: list[ProjectDraft] = []
            for candidate in money:
                label_start = clause_start(self.text, candidate.start, previous)
                previous = candidate.unit_end
                name = _item_name(self.text[label_start : candidate.start])
                if not (2 <= len(name) <= 40):
                    continue
                draft = ProjectDraft(name, None, label_start, label_start + len(name))
                self.projects.append(draft)
                self._place(draft, FactKey.BUDGET_TOTAL, candidate)
                drafts.append(draft)
            if drafts:
                self.lists.append(drafts)

    # -- running text -----------------------------------------------------------------------
    def _prose(self) -> None:
        text = self.text
        for candidate in self.candidates:
            if not candidate.usable or candidate.start in self.taken or candidate.start in self.placed:
                continue
            if candidate.kind is Kind.PERCENT:
                self._rate(candidate)
                continue
            if not candidate.money:
                continue
            masks = self.masks + paren_masks(text, candidate.start)
            named = self._main_named_before(candidate)
            if named is not None:
                masks.append(named)
            part_of = self._part_of(candidate, masks)
            if part_of is not None:
                self._child(candidate, part_of, masks)
                continue
            role = money_role(text, candidate.start, candidate.unit_end, 0, masks)
            if role is None:
                if named is not None and self.main is not None:
                    # `…补助资金2.00万元，…`: a programme's whole amount with no other label
                    self._place(self.main, FactKey.BUDGET_TOTAL, candidate)
                continue
            draft = self.main if named is not None else self._subject(candidate, role)
            if draft is not None:
                self._place(draft, role.key, candidate, explicit=not role.generic)

    def _rate(self, candidate: Candidate) -> None:
        current = self._current(candidate.start)
        if current is None or candidate.unit != "%":
            return
        if is_execution_rate(self.text, candidate.start, 0):
            self._place(current, FactKey.EXECUTION_RATE, candidate, explicit=True)

    def _current(self, position: int) -> ProjectDraft | None:
        """The project the text at `position` speaks of: the innermost heading that names a
        project (`（二）农村饮水安全项目`), else the report's main project."""
        section = self._innermost(position)
        if section is None:
            return self.main
        line_start = self.text.rfind("\n", 0, position) + 1
        if line_start > section.start and _ORDINAL.match(self.text[line_start : line_start + 8]):
            return None  # a numbered line under the heading speaks of an item we could not name
        if section.draft is None:
            parent = self._section_parent(section)
            section.draft = ProjectDraft(section.name, parent, section.name_start, section.name_end)
            self.projects.append(section.draft)
        return section.draft

    def _innermost(self, position: int) -> _Section | None:
        """The smallest section holding `position`, from intervals built once per change of
        the sections (list items add sections as the lists are read)."""
        if self._index_size != len(self.sections):
            self._index_size = len(self.sections)
            bounds = sorted({b for s in self.sections for b in (s.start, s.end)})
            ordered = sorted(self.sections, key=lambda s: s.start)
            self._bounds = bounds
            self._owners = []
            active: list[_Section] = []
            next_section = 0
            for bound in bounds:  # one sweep: sections open at each bound, the smallest owns it
                active = [s for s in active if s.end > bound]
                while next_section < len(ordered) and ordered[next_section].start <= bound:
                    if ordered[next_section].end > bound:
                        active.append(ordered[next_section])
                    next_section += 1
                self._owners.append(min(active, key=lambda s: s.end - s.start) if active else None)
        index = bisect_right(self._bounds, position) - 1
        return self._owners[index] if index >= 0 else None

    def _section_parent(self, section: _Section) -> str | None:
        """A project heading inside another project's section is its sub-project."""
        outer = [
            s for s in self.sections if s is not section and s.start < section.start and section.end <= s.end
        ]
        return min(outer, key=lambda s: s.end - s.start).name if outer else None

    def _part_of(self, candidate: Candidate, masks: list[tuple[int, int]]) -> Candidate | None:
        """The total an amount after 其中/包括 (in its own sentence) is a part of, or None.

        A part that is itself a flow of the project (年初预算, 追加, 调减 …) is no part, and
        it closes the list: what follows it is read on its own."""
        text = self.text
        sentence_start = max(text.rfind("。", 0, candidate.start), text.rfind("\n", 0, candidate.start)) + 1
        trigger = None
        for match in PART_TRIGGER.finditer(text, sentence_start, candidate.start):
            trigger = match
        if trigger is None:
            return None
        totals = [c for c in self._between(sentence_start, trigger.start()) if c.money]
        if not totals:
            previous = self._previous_sentence_total(sentence_start, trigger.end())
            if previous is None:
                return None
            totals = [previous]
        for other in self._between(trigger.end(), candidate.start + 1):
            if not other.money:
                continue
            role = money_role(
                text, other.start, other.unit_end, trigger.end(), masks + paren_masks(text, other.start)
            )
            if role is not None and role.key in FLOW_PART_KEYS:
                return None
        return totals[-1]

    def _previous_sentence_total(self, sentence_start: int, parts_start: int) -> Candidate | None:
        """A sentence that opens with 其中 spells out an amount of the sentence before it, but
        only the one its parts add up to (`实际支出219.4万元，…。其中A支出4万元，B…`)."""
        if self.text[sentence_start:parts_start].strip(" ，,：:") not in PART_TRIGGER_WORDS:
            return None
        end = _sentence_end(self.text, parts_start)
        parts = [c for c in self._between(parts_start, end) if c.money and c.usable]
        before = self.text.rfind("。", 0, sentence_start - 1)
        before = max(before, self.text.rfind("\n", 0, sentence_start - 1)) + 1
        totals = [c for c in self._between(before, sentence_start) if c.money and c.usable]
        if len(parts) < 2:
            return None
        for total in reversed(totals):
            if all(c.unit == total.unit for c in parts) and _sums_to(self.text, total, parts):
                if total.start not in self.spelled_out:
                    # the old 其中 pass reads a sentence's own total; this one is ours to record
                    label = _item_name(self.text[clause_start(self.text, total.start) : total.start])
                    self.spelled_out[total.start] = BreakdownDraft(label or "合计", total, [])
                return total
        return None

    def _child(self, candidate: Candidate, total: Candidate, masks: list[tuple[int, int]]) -> None:
        """A part labelled as spending (`A支出4万元`) under a spent total is a sub-project."""
        role = money_role(
            self.text, candidate.start, candidate.unit_end, clause_start(self.text, candidate.start), masks
        )
        if role is None or role.key is not FactKey.SPENT or role.keyword_start > candidate.start:
            return
        owner = next((p for p in self.projects if total in p.facts.get(FactKey.SPENT, [])), None)
        if owner is None:
            return
        begin = clause_start(self.text, candidate.start)
        name = _item_name(re.sub(r"^(?:其中|包括)", "", self.text[begin : role.keyword_start]))
        if not (2 <= len(name) <= 40) or NOT_A_PROJECT.search(name) or BASIC_SPENDING.search(name):
            return
        if FUNDING_SOURCE.match(name):
            return  # a funding source is a part of the total, not a sub-project (convention 6)
        draft = ProjectDraft(name, owner.name, begin, begin + len(name))
        self.projects.append(draft)
        self._place(draft, FactKey.SPENT, candidate)
        if total.start in self.spelled_out:
            label = self.text[begin : role.keyword_end]
            self.spelled_out[total.start].parts.append((_item_name(label) or name, candidate))

    def _main_named_before(self, candidate: Candidate) -> tuple[int, int] | None:
        """The span of a name of the main project standing right before the amount."""
        if self.main is None:
            return None
        begin = clause_start(self.text, candidate.start)
        label = self.text[begin : candidate.start]
        name = _fund_phrase(label)
        if name is None or similar(name, self.main.name) < 0.5:
            return None
        at = label.rfind(name)
        if at < 0 or len(label) - (at + len(name)) > 2:
            return None
        return begin + at, begin + at + len(name)

    def _subject(self, candidate: Candidate, role: Role) -> ProjectDraft | None:
        """The project a clause speaks of: a fund named before the amount, else the main one."""
        begin = clause_start(self.text, min(role.keyword_start, candidate.start))
        label = self.text[begin : min(role.keyword_start, candidate.start)]
        if not label and role.keyword_start > candidate.start:
            label = self.text[clause_start(self.text, candidate.start) : candidate.start]
        name = _fund_phrase(label)
        parent: str | None = None
        if name is None and role.keyword_end < candidate.start:
            # `支付A经费19.5万元`: the fund named between the keyword and the amount
            name = _fund_phrase(self.text[role.keyword_end : candidate.start])
            if name is not None and self.main is not None and self._recent(self.main, role.key, candidate):
                parent = self.main.name
            label = self.text[role.keyword_end : candidate.start]
            begin = role.keyword_end
        current = self._current(candidate.start)
        if ANAPHORA.search(label) or name is None:
            return current if current is not None else self._topic(candidate)
        if current is not None and current is not self.main and similar(name, current.name) >= 0.5:
            return current
        if self.main is not None and similar(name, self.main.name) >= 0.5:
            return self.main
        for draft in self.projects[-_RECENT_PROJECTS:]:
            if similar(name, draft.name) >= 0.8:
                return draft
        if len(name) < 6:
            return current
        start = begin + max(0, label.find(name))
        draft = ProjectDraft(name, parent, start, start + len(name))
        self.projects.append(draft)
        return draft

    def _topic(self, candidate: Candidate) -> ProjectDraft | None:
        """With no main project, an unnamed clause continues the fund named in the sentence just
        before it, on the same line (`A项目到位资金219.4万元。实际支出219.4万元`)."""
        line_start = self.text.rfind("\n", 0, candidate.start) + 1
        sentence_start = self.text.rfind("。", line_start, candidate.start)
        if sentence_start == -1:
            return None
        previous_start = max(line_start, self.text.rfind("。", line_start, sentence_start) + 1)
        named = [
            draft
            for draft in self.projects
            if draft.parent is None
            and previous_start <= draft.name_start < sentence_start
            and any(previous_start <= n.start < sentence_start for ns in draft.facts.values() for n in ns)
        ]
        return named[-1] if len(named) == 1 else None

    def _recent(self, draft: ProjectDraft, key: FactKey, candidate: Candidate) -> bool:
        """`draft` stated its `key` in the 150 characters before `candidate` (a list follows it)."""
        return any(0 < candidate.start - n.start <= 150 for n in draft.facts.get(key, []))


@dataclass
class _Section:
    """The text under a heading that names a project, up to the next heading of its level."""

    name: str
    name_start: int
    name_end: int
    level: int
    start: int
    end: int
    draft: ProjectDraft | None = None


_HEADING = re.compile(
    r"^[ \t]*(?:(?P<l1>[一二三四五六七八九十]{1,3}、)|(?P<l2>[(（][一二三四五六七八九十]{1,3}[)）])|"
    r"(?P<l3>\d{1,2}[、.．](?!\d))|(?P<l4>[(（]\d{1,2}[)）]))[ \t]*"
)


_QUOTED_NAME = re.compile(r"[ \t]*(?:项目)?[“\"「『](?P<name>[^”\"」』\n]{2,60})[”\"」』]")


def _heading_sections(text: str) -> list[_Section]:
    """Sections under headings whose words name a project or fund (not a report section)."""
    sections: list[_Section] = []
    offset = 0
    headings: list[tuple[int, int]] = []  # (level, line start) of every heading, for section ends
    for line in text.splitlines(keepends=True):
        match = _HEADING.match(line)
        if match is not None and match.lastgroup is not None:
            level = int(match.lastgroup[1])
            headings.append((level, offset))
            quoted = _QUOTED_NAME.match(line, match.end())
            head = re.split(r"[。，,：:；;]", line[match.end() :], maxsplit=1)[0].strip()
            if quoted is not None:
                # `1、项目“名称”年初预算…`: a quoted name is the project, whatever follows it
                name = _clean_name(quoted.group("name"))
                head = name
            else:
                name = _clean_name(re.sub(r"^项目", "", head))
            named = quoted is not None and 4 <= len(name) <= 60  # a quoted name is a name (“三公” is a term)
            if not named and ASPECT_HEADING.match(name):
                pass  # `（二）资金使用`: a section about the money, not a project
            elif named or (
                4 <= len(name) <= 40
                and FUND_NOUN.search(name)
                and not SECTION_WORDS.search(name)
                and not NOT_A_PROJECT.search(name)
                and not _GENERIC_NAMES.match(name)
                and not re.search(r"\d", head)
            ):
                start = offset + line.index(name[0], match.end()) if name[0] in line else offset
                sections.append(_Section(name, start, start + len(name), level, offset, len(text)))
        offset += len(line)
    # a section ends at the next heading of its level or above: one pass with a stack of the
    # sections still open, innermost last
    open_sections: list[_Section] = []
    by_start = {section.start: section for section in sections}
    for level, start in headings:
        while open_sections and open_sections[-1].level >= level:
            open_sections.pop().end = start
        if start in by_start:
            open_sections.append(by_start[start])
    for section in open_sections:
        section.end = len(text)
    return sections


_BUDGET_FAMILY = frozenset(
    {FactKey.BUDGET_INITIAL, FactKey.BUDGET_TOTAL, FactKey.TRANSFER_IN, FactKey.SUPPLEMENT}
)


#: How many of the latest projects a fund named again is compared with (a name comes back
#: near where it was stated; comparing with every project made large reports quadratic).
_RECENT_PROJECTS = 40
#: The words a sentence of parts may open with (`其中：…`).
PART_TRIGGER_WORDS = frozenset({"其中", "包括", "主要包括", "分别是", "分别为", "具体为", "具体是"})


def _sentence_end(text: str, position: int) -> int:
    ends = [i for i in (text.find("。", position), text.find("\n", position)) if i != -1]
    return min(ends) if ends else len(text)


def sum_close(text: str, total: Candidate, parts: list[Candidate]) -> bool:
    """The parts add up to the total within rounding (see `_sums_to`)."""
    return _sums_to(text, total, parts)


def _sums_to(text: str, total: Candidate, parts: list[Candidate]) -> bool:
    """The parts add up to the total within rounding (half a unit of the finest decimal each)."""
    numbers = [Decimal(text[c.start : c.end]) for c in (total, *parts)]
    places = max(-n.as_tuple().exponent for n in numbers)  # type: ignore[operator]
    tolerance = Decimal(5) / Decimal(10) ** (places + 1) * len(numbers)
    return abs(sum(numbers[1:], Decimal(0)) - numbers[0]) <= tolerance


def _family(keys: set[FactKey]) -> frozenset[FactKey]:
    """Facts a list's total may be: a budget for budget lines, a spending for spending lines."""
    if keys and keys <= _BUDGET_FAMILY:
        return _BUDGET_FAMILY
    if FactKey.SPENT in keys:
        return frozenset({FactKey.SPENT})
    return frozenset()


def _ordinal_style(ordinal: str) -> str:
    """`1、` and `2、` share a style; `（1）` and `1.` are others (a change of style ends a list)."""
    return re.sub(r"\d+", "N", ordinal.strip())


def is_generic_name(name: str) -> bool:
    """A name that names no project (`项目`, `财政拨款项目`, `其他项目支出`)."""
    return bool(_GENERIC_NAMES.match(name))


def paren_masks(text: str, position: int) -> list[tuple[int, int]]:
    """Bracketed asides in the clause before `position`: their keywords describe, not label."""
    begin = clause_start(text, position)
    return [
        (begin + m.start(), begin + m.end())
        for m in re.finditer(r"[(（][^()（）]*[)）]", text[begin:position])
    ]


def _only_zeros(text: str, draft: ProjectDraft) -> bool:
    """A project whose every stated amount is zero says nothing checkable (`因公出国费0万元`)."""
    return all(float(text[c.start : c.end]) == 0 for key, numbers in draft.facts.items() for c in numbers)


def _column_value(table: MoneyTable, values: list[Candidate | None], key: FactKey) -> Candidate | None:
    for column, value in zip(table.columns, values, strict=True):
        if column is key and value is not None:
            return value
    return None


def _item_name(raw: str) -> str:
    name = _ORDINAL.sub("", raw.strip())
    name = SELF_REFERENCE.sub("", name)
    name = _LEADING_VERBS.sub("", name)
    name = re.sub(r"(?:为|是|共计|合计|计|共|约|达)$", "", name)
    return _clean_name(name)


def _fund_phrase(label: str) -> str | None:
    """The name of a fund ending the label (`…中央财政…补助资金`), or None."""
    label = _ORDINAL.sub("", _YEAR_WORDS.sub("", label))
    label = SELF_REFERENCE.sub("", label)
    match = None
    for found in FUND_NOUN.finditer(label):
        match = found
    if match is None or match.end() < len(label) - 2 or NOT_A_PROJECT.search(label):
        return None
    name = re.sub(r"^.*?(?:下达|安排|拨付|争取|由|将|对|的)(?=[\u4e00-\u9fff]{4})", "", label[: match.end()])
    name = _clean_name(_LEADING_VERBS.sub("", SELF_REFERENCE.sub("", name)))
    if re.search(r"\d+(?:名|个|人|户|家|所|次)", name):
        return None  # `159名患者监护奖励经费` describes a payment, it names no fund
    if VAGUE_FUND.search(name):
        return None  # `两项补贴资金`: the report's own fund, counted, not another one named
    return name if len(name) >= 4 and not _GENERIC_NAMES.match(name) else None
