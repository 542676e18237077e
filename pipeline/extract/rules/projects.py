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
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

from pipeline.extract.rules.candidates import Candidate, Kind
from pipeline.extract.rules.lexicon import (
    ALLOCATION_TRIGGER,
    ANAPHORA,
    BASIC_SPENDING,
    DEPARTMENT_REPORT,
    FLOW_PART_KEYS,
    FORM_FIELD,
    FUND_NOUN,
    NAME_FIELD,
    NOT_A_PROJECT,
    PART_TRIGGER,
    SECTION_WORDS,
    SELF_REFERENCE,
    TITLE_SUFFIX,
)
from pipeline.extract.rules.roles import Role, clause_start, is_execution_rate, money_role
from pipeline.extract.rules.tables import MoneyTable, cells, row_label
from schemas import FactKey

_YEAR_WORDS = re.compile(r"[(（]?(?:19|20)\d{2}\s*年度?[)）]?|[(（]\s*[)）]")
_TITLE_NOISE = re.compile(r"^[《“\"【\[]|[》”\"】\]]$|^关于|^(?:\d+[、.])")
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

    def add(self, key: FactKey, number: Candidate) -> bool:
        """Record a fact; a second amount of one kind is kept only for `supplement` lists."""
        if key not in self.facts:
            self.facts[key] = [number]
            return True
        if key is FactKey.SUPPLEMENT and number not in self.facts[key]:
            self.facts[key].append(number)
            return True
        return False


#: A list item: its name, where the name starts, its amount and the role its own words give.
_ListItem = tuple[str, int, Candidate, Role | None]


@dataclass
class DiscourseResult:
    """What the discourse stage placed: the projects and the amounts used (by start offset)."""

    projects: list[ProjectDraft]
    placed: set[int]


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


def _name_field(text: str) -> tuple[str, int, int] | None:
    all_cells = cells(text[:4000])
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
            return name, start, start + len(name)
    return None


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
            if organization and name == organization:
                return None
            if len(name) >= 4 and not _GENERIC_NAMES.match(name) and not SECTION_WORDS.fullmatch(name):
                start = offset + line.find(name) if name in line else offset
                return name, start, start + len(name)
        offset += len(line)
    return None


def _clean_name(name: str) -> str:
    name = _TITLE_NOISE.sub("", name.strip())
    name = re.sub(r"[“”\"「」『』《》]", "", name)
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
    ) -> None:
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
        self.masks = self._name_masks()


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
        self._lists()
        self._prose()
        kept = [p for p in self.projects if p.facts and not _only_zeros(self.text, p)]
        return DiscourseResult(kept, self.placed)

    def _place(self, draft: ProjectDraft, key: FactKey, candidate: Candidate) -> None:
        if candidate.start in self.placed or candidate.start in self.taken:
            return
        if draft.add(key, candidate):
            self.placed.add(candidate.start)

    # -- money tables -----------------------------------------------------------------------
    def _tables(self) -> None:
        for table in self.tables:
            if table.total is None:
                continue
            draft = self.main or self._project_for_table(table)
            if draft is None:
                continue
            for key, value in zip(table.columns, table.total.values, strict=True):
                if key is not None and value is not None:
                    self._place(draft, key, value)
            for row in table.sources:
                if re.search(r"上年(?:度)?结转|上年结余", row_label(row.label)):
                    budget = _column_value(table, row.values, FactKey.BUDGET_TOTAL)
                    if budget is None:
                        budget = _column_value(table, row.values, FactKey.BUDGET_INITIAL)
                    if budget is not None:
                        self._place(draft, FactKey.CARRYOVER_IN, budget)
            # a table's cells are read: the prose pass must not read them again
            self.taken.update(c.start for c in self._between(table.start, table.end))

    def _project_for_table(self, table: MoneyTable) -> ProjectDraft | None:
        name = _name_field(self.text[max(0, table.start - 600) : table.start])
        if name is None:
            return None
        draft = ProjectDraft(name[0], None, table.start, table.start)
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
        for line in lines:
            ordinal = _ORDINAL.match(line)
            item = (
                self._item(offset, offset + len(line), ordinal.end() if ordinal else 0) if ordinal else None
            )
            if item is not None:
                items.append(item)
            elif line.strip() and not ordinal:
                if len(items) >= 2:
                    groups.append(items)
                items = []
            offset += len(line)
        if len(items) >= 2:
            groups.append(items)
        for group in groups:
            head_key = self._list_head_role(group[0][1])
            if head_key is None:
                continue
            for name, start, candidate, role in group:
                key = (
                    role.key
                    if role is not None and role.key in (FactKey.SPENT, FactKey.BUDGET_TOTAL)
                    else head_key
                )
                draft = ProjectDraft(name, self._list_parent(group[0][1]), start, start + len(name))
                self.projects.append(draft)
                self._place(draft, key, candidate)

    def _item(
        self, line_start: int, line_end: int, ordinal_end: int
    ) -> tuple[str, int, Candidate, Role | None] | None:
        """A numbered line holding one money amount (the first) after a short label."""
        begin = line_start + ordinal_end
        money = [c for c in self._between(begin, line_end) if c.money and c.usable]
        if not money or money[0].start in self.taken:
            return None
        first = money[0]
        begin = clause_start(self.text, first.start, begin)
        role = money_role(self.text, first.start, first.unit_end, begin, self.masks)
        raw = self.text[
            begin : role.keyword_start if role and role.keyword_start < first.start else first.start
        ]
        name = _item_name(raw)
        if not (4 <= len(name) <= 40) or (SECTION_WORDS.search(name) and not FUND_NOUN.search(name)):
            return None
        if BASIC_SPENDING.search(name) or NOT_A_PROJECT.search(raw):
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

    def _list_parent(self, first_item: int) -> str | None:
        if self.main is None or not self.main.facts:
            return None
        head = self.text[max(0, first_item - 200) : first_item]
        for numbers in self.main.facts.values():
            if any(max(0, first_item - 200) <= n.start < first_item for n in numbers) and head:
                return self.main.name
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
            parent = self.main.name if self.main is not None and self.main.facts else None
            previous = trigger.end()
            for candidate in money:
                label_start = clause_start(self.text, candidate.start, previous)
                previous = candidate.unit_end
                name = _item_name(self.text[label_start : candidate.start])
                if not (2 <= len(name) <= 40):
                    continue
                draft = ProjectDraft(name, parent, label_start, label_start + len(name))
                self.projects.append(draft)
                self._place(draft, FactKey.BUDGET_TOTAL, candidate)

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
                self._place(draft, role.key, candidate)

    def _rate(self, candidate: Candidate) -> None:
        if self.main is None or candidate.unit != "%":
            return
        if is_execution_rate(self.text, candidate.start, 0):
            self._place(self.main, FactKey.EXECUTION_RATE, candidate)

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
            return None
        for other in self._between(trigger.end(), candidate.start + 1):
            if not other.money:
                continue
            role = money_role(
                text, other.start, other.unit_end, trigger.end(), masks + paren_masks(text, other.start)
            )
            if role is not None and role.key in FLOW_PART_KEYS:
                return None
        return totals[-1]

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
        draft = ProjectDraft(name, owner.name, begin, begin + len(name))
        self.projects.append(draft)
        self._place(draft, FactKey.SPENT, candidate)

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
        if ANAPHORA.search(label) or name is None:
            return self.main
        if self.main is not None and similar(name, self.main.name) >= 0.5:
            return self.main
        for draft in self.projects:
            if similar(name, draft.name) >= 0.8:
                return draft
        if len(name) < 6:
            return self.main
        start = begin + max(0, label.find(name))
        draft = ProjectDraft(name, parent, start, start + len(name))
        self.projects.append(draft)
        return draft

    def _recent(self, draft: ProjectDraft, key: FactKey, candidate: Candidate) -> bool:
        """`draft` stated its `key` in the 150 characters before `candidate` (a list follows it)."""
        return any(0 < candidate.start - n.start <= 150 for n in draft.facts.get(key, []))


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
    return name if len(name) >= 4 and not _GENERIC_NAMES.match(name) else None
