"""The final check (module 07): a paper of questions drawn for each learner from a bank, reproducible for an audit.

nbgrader releases one notebook to everybody, and stock ``nbgrader autograde`` does not tell a
notebook who its learner is. So the learner writes their employee id in the notebook's first answer
cell (``my_employee_id = "E1234"``); :func:`draw_paper` turns that id into their paper, the
notebook shows it, and each slot's hidden test draws the same paper again to know which question the
learner answered in that slot. Neighbours get different papers, and anyone can reproduce a learner's
paper from their id, for an audit (:func:`paper_for`).

How a paper is drawn
--------------------
The bank (``data/final_check_bank.yaml``) lists the items and a *blueprint*: the topic (module) of
each slot, e.g. one question on module 01, two on module 02, ... For a learner id ``L`` (spaces
around it removed, letters upper-cased, so ``" e1001"`` and ``"E1001"`` get the same paper), every
item gets the key ``sha256(f"{salt}:{L}:{item id}")``, and the slots of a topic take that topic's
items in increasing key order. The slots keep the blueprint's order.

Only SHA-256 is involved, so a paper is the same on every Python version and machine, and an
auditor can recompute it by hand. (``random.Random`` promises a stable sequence from ``random()``
only; ``sample`` and ``shuffle`` have changed between Python versions.) A paper changes when the
bank's ``salt`` changes (a new cohort), or when a topic's items or the blueprint change; adding an
item to one topic leaves the other topics' questions where they were.

What is NOT here
----------------
No answers. The bank holds question texts, options and drafts; the model refuses any other key, so
an ``answer:`` in the YAML is an error. The expected answer of each item (a value, or an expression
over the company's policies) lives only in the hidden tests of ``solutions/07-final-check``. Nothing
in this package returns an answer for an item id.

For the grading pipeline
------------------------
Grading uses only ``my_employee_id``: a learner who writes a colleague's id is marked on the
colleague's paper. ``course grade`` therefore flags (an integrity flag, not a score change) a
submission whose declared id, :func:`declared_learner_id`, differs from its nbgrader student id
(``course.grading.prepare.paper_flags``). An id left as ``...`` draws no paper at all, so every
question of that submission fails by itself.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from course._paths import data_dir
from course.answers import AnswerFormatError, NotAnsweredError, _type_name, answer_kinds
from course.policy import load_policy_file
from course.policy._base import Ident, PolicyModel, Text, unique_ids

__all__ = [
    "ANSWER_VARIABLE",
    "Bank",
    "BankItem",
    "Paper",
    "PaperSlot",
    "declared_learner_id",
    "draw_paper",
    "load_bank",
    "normalise_learner_id",
    "paper_for",
    "slot_form",
]

#: The answer variable in which the learner writes their employee id.
ANSWER_VARIABLE = "my_employee_id"
#: A module id, e.g. ``02-privacy-and-audiences``.
ModuleId = Annotated[str, StringConstraints(pattern=r"^\d\d-[a-z0-9-]+$")]
#: An employee id as the roster has it: letters, digits, ``.``, ``_`` or ``-``.
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CHOICE_KINDS = ("choice", "choice_set")


class Option(PolicyModel):
    value: str = Field(min_length=1)
    label: Text


class BankItem(PolicyModel):
    """One question of the bank: its text, the form of its answer, and what it shows. Never its answer."""

    id: Ident
    topic: ModuleId
    kind: Ident = Field(description="an answer kind of course.answers, or choice / choice_set with options")
    question: Text
    post: Text | None = Field(None, description="a post, comment or draft the question is about, quoted")
    channel: Ident | None = Field(None, description="the brand-voice channel the post is written for")
    options: list[Option] = Field(default_factory=list)

    @model_validator(mode="after")
    def _form(self) -> BankItem:
        known = sorted({*answer_kinds(), *_CHOICE_KINDS})
        if self.kind not in known:
            raise ValueError(f"item {self.id!r}: kind {self.kind!r} is not an answer kind; expected one of {known}")
        if self.kind in _CHOICE_KINDS and len(self.options) < 2:
            raise ValueError(f"item {self.id!r}: a {self.kind} item needs at least two options")
        if self.kind not in _CHOICE_KINDS and self.options:
            raise ValueError(f"item {self.id!r}: only choice and choice_set items have options")
        unique_values = {o.value for o in self.options}
        if len(unique_values) != len(self.options):
            raise ValueError(f"item {self.id!r}: two options have the same value")
        return self


class Bank(PolicyModel):
    """``data/final_check_bank.yaml``: the items, and which topic each slot of a paper draws from."""

    title: Text
    version: Text
    salt: Text = Field(description="mixed into every draw; change it to give a new cohort new papers")
    blueprint: list[ModuleId] = Field(min_length=1, description="the topic of each slot, in order")
    items: list[BankItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _enough_items(self) -> Bank:
        unique_ids(self.items, "item")
        have = Counter(i.topic for i in self.items)
        for topic, slots in Counter(self.blueprint).items():
            if have[topic] < slots:
                raise ValueError(f"the blueprint has {slots} slots for {topic!r} but the bank has "
                                 f"{have[topic]} items on it")
        unused = sorted(set(have) - set(self.blueprint))
        if unused:
            raise ValueError(f"items on {unused} can never be drawn: add the topic to the blueprint")
        return self

    @property
    def topics(self) -> list[str]:
        """The blueprint's topics, each once, in order."""
        return list(dict.fromkeys(self.blueprint))

    def item(self, item_id: str) -> BankItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"no item called {item_id!r} in the final check's bank")


def load_bank(path: Path | str | None = None) -> Bank:
    """The bank (default ``data/final_check_bank.yaml``), validated; a bad file raises PolicyError.

    Read once per version of the file (its path, modification time and size), since a notebook
    draws the same paper in many cells.
    """
    path = Path(path) if path else data_dir() / "final_check_bank.yaml"
    try:
        stat = path.stat()
    except OSError:
        return load_policy_file(path, Bank)  # raises the PolicyError that names the problem
    return _load_bank(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_bank(path: str, _mtime_ns: int, _size: int) -> Bank:
    return load_policy_file(Path(path), Bank)


@dataclass(frozen=True)
class PaperSlot:
    slot: int
    item: BankItem


@dataclass(frozen=True)
class Paper:
    """One learner's questions, slot by slot, with what it was drawn from (for an audit)."""

    learner_id: str
    slots: tuple[PaperSlot, ...]
    bank_version: str
    salt: str

    def slot(self, number: int) -> BankItem:
        """The item in slot ``number`` (1 for the first question)."""
        if not isinstance(number, int) or not 1 <= number <= len(self.slots):
            raise ValueError(f"there is no question {number!r}: this paper has questions 1 to {len(self.slots)}")
        return self.slots[number - 1].item

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(s.item.id for s in self.slots)


def normalise_learner_id(learner_id: Any) -> str:
    """The id a paper is drawn for: spaces around it removed, letters upper-cased.

    Raises :class:`~course.answers.NotAnsweredError` while it is still ``...``, and
    :class:`~course.answers.AnswerFormatError` with a plain message when it is not an employee id.
    """
    if learner_id is Ellipsis:
        raise NotAnsweredError(
            f"Write your employee id in `{ANSWER_VARIABLE}` first (near the top of the notebook) and run "
            "that cell: your questions depend on it.")
    if not isinstance(learner_id, str):
        raise AnswerFormatError(
            f"`{ANSWER_VARIABLE}` should be your employee id in quotes, like \"E1234\", "
            f"but it is {_type_name(learner_id)}.")
    cleaned = learner_id.strip().upper()
    if not _ID_RE.match(cleaned):
        raise AnswerFormatError(
            f"`{ANSWER_VARIABLE}` is \"{learner_id}\", which is not an employee id: use letters, digits, "
            "'.', '_' or '-' only, exactly as in your HR record.")
    return cleaned


def _key(salt: str, learner_id: str, item_id: str) -> str:
    return hashlib.sha256(f"{salt}:{learner_id}:{item_id}".encode()).hexdigest()


def _spread(topics: list[str], n: int) -> list[str]:
    """``n`` slots over ``topics`` as evenly as possible, earlier topics first, in topic order."""
    counts = [n // len(topics) + (1 if i < n % len(topics) else 0) for i in range(len(topics))]
    return [t for t, c in zip(topics, counts, strict=True) for _ in range(c)]


def draw_paper(learner_id: Any, *, n: int | None = None, bank: Bank | None = None) -> Paper:
    """The paper of ``learner_id``: ``n`` questions (default: the blueprint's slots, 10), no answers.

    Deterministic: the same id and bank give the same paper anywhere (see the module docstring).
    With another ``n`` than the blueprint's, the slots are spread evenly over its topics.
    """
    bank = bank or load_bank()
    lid = normalise_learner_id(learner_id)
    if n is None or n == len(bank.blueprint):
        plan = list(bank.blueprint)
    elif isinstance(n, int) and 1 <= n <= len(bank.items):
        plan = _spread(bank.topics, n)
    else:
        raise ValueError(f"a paper has 1 to {len(bank.items)} questions, not {n!r}")
    ranked = {
        topic: sorted((i for i in bank.items if i.topic == topic), key=lambda i: _key(bank.salt, lid, i.id))
        for topic in bank.topics
    }
    taken: Counter[str] = Counter()
    slots = []
    for number, topic in enumerate(plan, start=1):
        if taken[topic] >= len(ranked[topic]):
            raise ValueError(f"the bank has only {len(ranked[topic])} items on {topic!r}; {n} questions need more")
        slots.append(PaperSlot(number, ranked[topic][taken[topic]]))
        taken[topic] += 1
    return Paper(lid, tuple(slots), bank.version, bank.salt)


def slot_form(learner_id: Any, slot: int, *, bank: Bank | None = None) -> dict[str, Any]:
    """How the answer in ``slot`` must look, for :func:`course.answers.check_answer` (``kind``, ``choices``)."""
    item = draw_paper(learner_id, bank=bank).slot(slot)
    form: dict[str, Any] = {"kind": item.kind}
    if item.kind in _CHOICE_KINDS:
        form["choices"] = [o.value for o in item.options]
    return form


def paper_for(learner_id: Any, *, bank: Bank | None = None) -> list[dict[str, Any]]:
    """Trainer-side audit: the questions ``learner_id`` was given, slot by slot (items only, no answers)."""
    paper = draw_paper(learner_id, bank=bank)
    return [
        {"learner_id": paper.learner_id, "bank_version": paper.bank_version, "slot": s.slot,
         "item_id": s.item.id, "topic": s.item.topic, "kind": s.item.kind, "question": s.item.question}
        for s in paper.slots
    ]


def declared_learner_id(notebook: Any) -> str | None:
    """The employee id a submitted final-check notebook declares, normalised; ``None`` if absent or unusable.

    Reads the literal assigned to ``my_employee_id`` in the notebook's answer cells without running
    anything. The grading pipeline compares it with the submission's nbgrader student id.
    """
    declared: Any = None
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(cell.get("source", ""))
        except SyntaxError:
            continue
        for node in tree.body:  # the last assignment wins, as when the notebook runs top to bottom
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and node.targets[0].id == ANSWER_VARIABLE):
                try:
                    declared = ast.literal_eval(node.value)
                except ValueError:
                    declared = None
    try:
        return None if declared is None else normalise_learner_id(declared)
    except AnswerFormatError:
        return None
