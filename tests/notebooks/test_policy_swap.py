"""The course adapts to another company's policy (issue #3, "Use your own policy").

``data/examples/harbourline/policies`` is a second, differently worded policy set for another fictional
company, Harbourline Logistics, with other limits, defaults, contacts, deadlines and channel rules.

- The released course runs against it: every cell runs, the only errors are the friendly "not answered
  yet" of the check cells, the outputs and widgets show Harbourline's rules, and none of Brightwater's.
- No notebook types a policy fact of either company: a detector looks for each company's distinctive
  facts (names, contacts, labels, limits, deadlines) in every notebook's source, and finds one planted.
- The hidden tests follow the policy: run under Harbourline's policy, the solutions (Brightwater's
  answers) fail exactly the items whose expected answer comes from a policy value that differs between
  the two companies (the reviewed table below), and no judgement call fails. Under the default policy
  they fail nothing, so each failure comes from the swap.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

from course.grading.release import release
from course.moderation import format_minutes
from course.policy import PolicyError, PolicySet, load_policies
from tests.modules import EXERCISES, MODULES, REPO, SOLUTIONS, nbgrader_meta, read
from tools import policy_items as pi

DEFAULT = REPO / "data" / "policies"
EXAMPLE = REPO / "data" / "examples" / "harbourline" / "policies"

#: Per module, the graded items whose expected answer comes from a policy value that differs between
#: Brightwater (data/policies) and Harbourline (the example), with why. Worked out by reading the hidden
#: tests, then checked by running the solutions under both policies. Every other item, including every
#: judgement call, must give the same result under both. A module is covered once it is listed here.
EXPECTED_TO_CHANGE: dict[str, dict[str, str]] = {
    "00-start-here": {
        "company_name": "the company is Harbourline Logistics, not Brightwater Supplies",
        "pass_mark": "completion.yaml: the module's pass mark is 80%, not 75%",
    },
    "01-value-not-noise": {},
    "02-privacy-and-audiences": {
        "internal_network_default_audience": "a new post on The Quay goes to my_team, not whole_company",
        "draft_1_audience": "rotas (team_logistics) may reach my_site, not only my_team",
        "draft_4_audience": "know-how (general_expertise) may reach connections, not public",
        "bake_sale_photo_platform": "the internal network is quay; Brightwater's connect is not a platform",
        "profile_settings_to_change": "hide_connections must be on, and Sam's profile has it off",
    },
    "03-choosing-the-channel": {
        "health_and_shifts_channel": "confidential_hr uses email only, not phone",
        "trade_counter_post_escalate": "5,000 followers or 100 shares an hour: 2,300 and 75 are below both",
        "stepladder_first_contact": "the first step is control_room, not press_office",
        "stepladder_first_contact_minutes": "the first step is within 10 minutes, not 15",
    },
    "04-one-brand-voice": {
        "x_max_characters": "X posts may have 240 characters, not 280",
        "giveaway_score": "other rules and points: 88 on Facebook, not 86",
        "hose_reel_most_serious_rule": "shouting is blocking on X; FlowPod is not Harbourline's, so no disclosure rule",
        "late_delivery_avoided_words": "other words to avoid: only words.valued_customer",
        "loading_bay_characters_to_cut": "X's limit is 240, so 40 more characters must go",
        "late_delivery_rewrite": "at most 3 sentences, and a '- name' sign-off instead of '^TR'",
    },
    "05-norms-and-moderation": {
        "comment_1_action": "link requests are left alone (ignore), not answered in public",
        "comment_6_action": "trolls are hidden, not left alone",
        "comment_4_first_contact": "a crisis goes to control_room first, not press_office",
        "comment_4_minutes": "act on a crisis within 20 minutes, not 30",
        "comments_removed": "hiding the troll (comment 6) removes it too",
        "comment_3_template": "the complaint template is move_to_private, not take_it_private",
        "x_reply_within_complaint_limit": "complaints within 30 minutes: X's 38-minute median is too slow",
    },
    "06-cases-and-numbers": {},
    # the solution's paper is drawn for employee E1001 from data/final_check_bank.yaml
    "07-final-check": {
        "slot_2": "privacy_network_default: a new post on The Quay goes to my_team, not whole_company",
        "slot_7": "voice_disclosure: EverDry is not Harbourline's, so the post needs no disclosure and passes",
    },
}
COVERED = sorted(EXPECTED_TO_CHANGE)

#: Brightwater text that still reaches learners under Harbourline's policy, reported on issue #3.
#: Remove an entry once it is fixed (the test fails until then, and again if it is not removed).
KNOWN_LEAKS: dict[str, dict[str, str]] = {}

#: Answers typed into a released exercise before it runs, where what a module shows depends on them:
#: the final check draws its paper from the employee id.
LEARNER_INPUT: dict[str, dict[str, tuple[str, str]]] = {
    "07-final-check": {"employee_id_given_answer": ("my_employee_id = ...", 'my_employee_id = "E1001"')},
}

#: Factories that build an ipywidget (the others return HTML).
_WIDGET_CALL = re.compile(r"\b(practice_scenarios|\w+_panel|\w+_checker|\w+_explorer)\(")
_SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.S)
_ID = re.compile(r"^[a-z][a-z0-9_.]*$")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


# -- policy facts and the detector ----------------------------------------------------------------

def policy_facts(policies: PolicySet) -> dict[str, str]:
    """Every fact of the policy that a notebook could type instead of reading it: text -> where it is.

    Names (the company, platforms, teams, contacts, emails, phone numbers, domains), labels (of
    audiences, settings, rules, categories ...), and numbers as texts show them ("10,000 followers",
    "280 characters", "within 15 minutes"). Ids are left out: they are the answer vocabulary.
    """
    names: dict[str, str] = {}
    labels: dict[str, str] = {}
    numbers: dict[str, str] = {}

    def add(kind: dict[str, str], text: str | None, where: str) -> None:
        if text:
            kind.setdefault(str(text).strip(), where)

    privacy = policies.privacy
    add(names, privacy.company, "privacy.yaml company")
    add(names, privacy.contact, "privacy.yaml contact")
    for a in privacy.audiences:
        add(labels, a.label, f"privacy.yaml audience {a.id}")
    for p in privacy.platforms:
        add(names, p.name, f"privacy.yaml platform {p.id}")
    for s in privacy.profile_settings:
        add(labels, s.label, f"privacy.yaml setting {s.id}")
    for k in privacy.information_kinds:
        add(labels, k.label, f"privacy.yaml information kind {k.id}")
    for n in privacy.never_post:
        add(labels, n.label, f"privacy.yaml never-post {n.id}")
    for c in policies.value.categories:
        add(labels, c.label, f"value.yaml category {c.id}")
    for h in policies.value.doer_habits:
        add(labels, h.label, f"value.yaml doer habit {h.id}")
    channels = policies.channels
    add(names, channels.contact, "channels.yaml contact")
    for c in channels.channels:
        add(names, c.examples, f"channels.yaml channel {c.id} examples")
        add(labels, c.reply_expected, f"channels.yaml channel {c.id} reply_expected")
    for r in channels.rules:
        add(labels, r.label, f"channels.yaml rule {r.id}")
        add(names, r.contact, f"channels.yaml rule {r.id} contact")
    escalation = channels.escalation
    for s in escalation.other_signs:
        add(labels, s.label, f"channels.yaml escalation sign {s.id}")
    for text in (f"{escalation.followers_at_least:,} followers", f"{escalation.followers_at_least} followers"):
        add(numbers, text, "channels.yaml escalation followers_at_least")
    add(numbers, f"{escalation.shares_in_an_hour_at_least} times", "channels.yaml escalation shares_in_an_hour")
    for index, step in enumerate(escalation.steps, 1):
        add(numbers, f"within {step.within_minutes} minutes", f"channels.yaml escalation step {index}")
    moderation = policies.moderation
    add(names, moderation.owner, "moderation.yaml owner")
    for c in moderation.escalation_contacts:
        for text in (c.name, c.email, c.phone, c.hours):
            add(names, text, f"moderation.yaml contact {c.id}")
    for a in moderation.response_actions:
        add(labels, a.label, f"moderation.yaml action {a.id}")
    for c in moderation.comment_categories:
        add(labels, c.label, f"moderation.yaml category {c.id}")
        if c.act_within_minutes:
            add(numbers, f"within {format_minutes(c.act_within_minutes)}", f"moderation.yaml category {c.id}")
    for t in moderation.response_templates:
        add(labels, t.label, f"moderation.yaml template {t.id}")
    for key, value in moderation.template_values.items():
        add(names, value, f"moderation.yaml template value {key}")
    voice = policies.brand_voice
    for name in voice.company_names:
        add(names, name, "brand_voice.yaml company_names")
    for c in voice.channels:
        add(names, c.name, f"brand_voice.yaml channel {c.id}")
        if c.max_characters:
            add(numbers, f"{c.max_characters.max} characters", f"brand_voice.yaml {c.id} max_characters")
        if c.max_words:
            add(numbers, f"{c.max_words.max} words", f"brand_voice.yaml {c.id} max_words")
    for e in voice.required:
        add(labels, e.label, f"brand_voice.yaml required {e.id}")
    for k in policies.sensitive.kinds:
        add(labels, k.label, f"sensitive_content.yaml kind {k.id}")
        for value in k.allow:
            add(names, value, f"sensitive_content.yaml {k.id} allow")
    text = "\n".join(path.read_text("utf-8") for path in policies.files())
    for found in re.findall(r"[\w.+-]+@[\w-]+\.example|[\w-]+\.example", text):
        add(names, found, "an address in the policy files")

    facts: dict[str, str] = {}
    for fact, where in names.items():
        # a name: proper nouns, numbers, addresses ("Social Media Desk", "0113 496 0200") or a longer
        # description ("Shift chat (on the depot handhelds)"), not an everyday "Team chat"
        if fact in voice.company_names or re.search(r"[A-Z0-9@.]", fact[1:]) or len(fact.split()) >= 4:
            facts[fact] = where
    for fact, where in labels.items():
        if len(fact.split()) >= 4:  # short labels ("A crisis", "Whole company") are everyday phrases
            facts[fact] = where
    facts.update(numbers)
    return {f: w for f, w in facts.items() if len(f) >= 8 and (not _ID.match(f) or ".example" in f)}


def distinctive_facts(policies: PolicySet, other: PolicySet) -> dict[str, str]:
    """The facts of ``policies`` that appear nowhere in ``other``'s files: the ones a swap changes."""
    other_text = "\n".join(path.read_text("utf-8") for path in other.files()).casefold()
    return {fact: where for fact, where in policy_facts(policies).items() if fact.casefold() not in other_text}


@cache
def both_companies_facts() -> dict[str, str]:
    """Each company's distinctive facts, labelled with the company and where the fact lives."""
    default, example = load_policies(DEFAULT), load_policies(EXAMPLE)
    facts = {f: f"{default.privacy.company}, {w}" for f, w in distinctive_facts(default, example).items()}
    facts.update({f: f"{example.privacy.company}, {w}" for f, w in distinctive_facts(example, default).items()})
    return facts


@cache
def _pattern(fact: str) -> re.Pattern[str]:
    """A whole-phrase match: "5,000 followers" is not found inside "25,000 followers"."""
    numeric = fact[0].isdigit() or fact.startswith("within ")
    return re.compile(r"(?<![\w,.])" + re.escape(fact) + r"(?!\w)", re.IGNORECASE if numeric else 0)


@dataclass(frozen=True)
class Hit:
    where: str
    fact: str
    source: str

    def __str__(self) -> str:
        return f"{self.where}: {self.fact!r} ({self.source})"


def find_facts(text: str, facts: dict[str, str], where: str) -> list[Hit]:
    return [Hit(where, fact, source) for fact, source in facts.items() if _pattern(fact).search(text)]


def hard_coded_facts(notebook: Path, facts: dict[str, str]) -> list[Hit]:
    """Facts typed into a notebook's text or code. Model answers (solution regions) are left out:
    a solution is the default policy's answer by design, and nbgrader removes it on release."""
    hits: list[Hit] = []
    for index, cell in enumerate(read(notebook).cells):
        source = _SOLUTION_REGION.sub("", cell.source)
        name = notebook.relative_to(REPO) if notebook.is_relative_to(REPO) else notebook
        hits += find_facts(source, facts, f"{name} cell {index} ({cell.cell_type})")
    return hits


def course_notebooks() -> list[Path]:
    return sorted(p for base in (SOLUTIONS, EXERCISES) for p in base.glob("[0-9][0-9]-*/[0-9][0-9]-*.ipynb")
                  if p.stem == p.parent.name)


# -- running notebooks ----------------------------------------------------------------------------

def execute(path: Path, policy_dir: Path, answers: dict[str, tuple[str, str]] | None = None
            ) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel whose COURSE_POLICY_DIR is ``policy_dir``.

    ``answers`` maps an answer cell's grade id to (placeholder line, answer line) typed in first.
    """
    nb = read(path)
    for cell in nb.cells:
        typed = (answers or {}).get(nbgrader_meta(cell).get("grade_id", ""))
        if typed:
            assert typed[0] in cell.source, f"{typed[0]!r} is not in the answer cell"
            cell.source = cell.source.replace(*typed)
    client = NotebookClient(nb, timeout=180, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env={**os.environ, "COURSE_POLICY_DIR": str(policy_dir)})
    return nb


def is_test_cell(cell: nbformat.NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def errors(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def failing_items(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Test cells that raised: grade id -> the error's name."""
    return {nbgrader_meta(c)["grade_id"]: errors(c)[0].ename for c in nb.cells if is_test_cell(c) and errors(c)}


def other_cell_errors(nb: nbformat.NotebookNode) -> list[str]:
    return [f"cell {i}: {e.ename}: {e.evalue}\n{c.source[:200]}" for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and not is_test_cell(c) for e in errors(c)]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def shown_text(nb: nbformat.NotebookNode) -> str:
    """Everything a learner sees come out of the cells: outputs, and the widgets' saved state."""
    parts: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts += _strings({k: v for k, v in output.items() if k != "metadata"})
    parts += _strings(nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}))
    return html.unescape("\n".join(parts))


# -- fast checks: the example policy and the notebooks' sources -----------------------------------

def test_example_policy_loads_every_file() -> None:
    """The example has one file for each of the course's policy files, and each loads and validates."""
    assert sorted(p.name for p in EXAMPLE.glob("*.yaml")) == sorted(p.name for p in DEFAULT.glob("*.yaml"))
    policies = load_policies(EXAMPLE)
    for name in ("privacy", "value", "channels", "moderation", "brand_voice", "sensitive", "completion"):
        getattr(policies, name)
    assert policies.privacy.company == "Harbourline Logistics"


def test_example_keeps_the_ids_the_course_data_uses() -> None:
    """Practice decks, scenarios, the mock profile and the escalation path all resolve against the example."""
    from course.channels import escalation_steps
    from course.practice import load_practice
    from course.widgets.privacy import load_privacy_scenarios, mock_profile

    policies = load_policies(EXAMPLE)
    for deck in sorted((REPO / "data" / "practice").glob("*.yaml")):
        load_practice(deck.stem, policies=policies)
    load_privacy_scenarios(policies=policies)
    assert set(mock_profile("sam_profile", policies=policies)) == {s.id for s in policies.privacy.profile_settings}
    assert [s.contact.id for s in escalation_steps(policies)] == ["control_room", "media_relations", "conduct_team"]
    platforms = {p.id for p in policies.privacy.platforms}
    assert {n.platform for n in policies.moderation.site_norms} <= platforms
    default = load_policies(DEFAULT)
    assert set(default.channels.channel_ids) <= set(policies.channels.channel_ids)
    assert {r.id for r in default.channels.rules} <= {r.id for r in policies.channels.rules}
    assert set(default.moderation.category_ids) == set(policies.moderation.category_ids)
    assert set(default.brand_voice.channel_ids) == set(policies.brand_voice.channel_ids)
    assert default.completion.module_ids == policies.completion.module_ids


#: What differs between the two companies, as (what, read it from a policy set).
DIFFERENCES = [
    ("company", lambda p: p.privacy.company),
    ("internal network default audience", lambda p: p.privacy.platforms[0].default_audience),
    ("widest audience for rotas", lambda p: p.privacy.widest_audience("team_logistics")),
    ("widest audience for know-how", lambda p: p.privacy.widest_audience("general_expertise")),
    ("profile settings required on", lambda p: {s.id for s in p.privacy.profile_settings if s.required}),
    ("channels for HR matters", lambda p: p.channels.rule("confidential_hr").use),
    ("followers that make a case high-profile", lambda p: p.channels.escalation.followers_at_least),
    ("shares an hour that make a case high-profile", lambda p: p.channels.escalation.shares_in_an_hour_at_least),
    ("first escalation contact", lambda p: p.channels.escalation.steps[0].contact),
    ("first escalation deadline", lambda p: p.channels.escalation.steps[0].within_minutes),
    ("crisis contacts", lambda p: p.moderation.category("crisis").escalate_to),
    ("crisis deadline", lambda p: p.moderation.category("crisis").act_within_minutes),
    ("complaint deadline", lambda p: p.moderation.category("complaint").act_within_minutes),
    ("action for link requests", lambda p: p.moderation.category("link_begging").action),
    ("action for trolls", lambda p: p.moderation.category("troll").action),
    ("X character limit", lambda p: p.brand_voice.channel("x").max_characters.max),
    ("X pass score", lambda p: p.brand_voice.channel("x").pass_score),
    ("points per severity", lambda p: p.brand_voice.scoring),
    ("words to avoid", lambda p: {r.id for r in p.brand_voice.avoid}),
    ("module pass mark", lambda p: p.completion.module("00-start-here").pass_mark_percent),
    ("days until due", lambda p: p.completion.due.days_after_start),
]


@pytest.mark.parametrize(("what", "read_it"), DIFFERENCES, ids=[d[0] for d in DIFFERENCES])
def test_example_differs_from_the_default(what: str, read_it) -> None:
    """Each of these rules is different in the example, so the swap tests exercise it."""
    assert read_it(load_policies(DEFAULT)) != read_it(load_policies(EXAMPLE)), f"{what} is the same in both"


def test_each_company_has_many_distinctive_facts() -> None:
    """The detector looks for dozens of facts per company: names, contacts, labels and numbers."""
    facts = both_companies_facts()
    for company in ("Brightwater Supplies", "Harbourline Logistics"):
        mine = [f for f, w in facts.items() if w.startswith(company)]
        assert len(mine) >= 60, f"only {len(mine)} facts for {company}"
        assert company in mine
    for fact in ("Social Media Desk", "0113 496 0200", "Customer care reply on social media",
                 "10,000 followers", "280 characters", "within 15 minutes",
                 "Network Control Room", "0191 498 0999", "5,000 followers", "240 characters", "within 10 minutes",
                 "Review tags before they appear on my profile", "brightwater.example", "harbourline.example"):
        assert fact in facts, fact
    for everyday in ("Team chat", "A crisis", "Whole company", "Email", "LinkedIn", "whole_company"):
        assert everyday not in facts, f"{everyday!r} is too common to count as a policy fact"


@pytest.mark.skipif(not MODULES, reason="no modules in solutions/ yet")
def test_no_notebook_types_a_policy_fact() -> None:
    """No notebook's text or code (solutions and exercises) contains a distinctive fact of either company."""
    facts = both_companies_facts()
    hits = [hit for notebook in course_notebooks() for hit in hard_coded_facts(notebook, facts)]
    assert not hits, "policy facts typed into notebooks; read them from the policy instead:\n" + "\n".join(
        map(str, hits))


def test_the_detector_finds_a_planted_fact(tmp_path: Path) -> None:
    """A fact typed into a copy of a real notebook is reported, with its cell; a model answer is not."""
    source = SOLUTIONS / "03-choosing-the-channel" / "03-choosing-the-channel.ipynb"
    if not source.exists():
        pytest.skip("module 03 is not in solutions/")
    facts = both_companies_facts()
    copy = tmp_path / "03-choosing-the-channel" / source.name
    copy.parent.mkdir()
    shutil.copy(source, copy)
    assert hard_coded_facts(copy, facts) == []

    nb = read(copy)
    nb.cells[2].source += "\n\nNot sure? Ring the Social Media Desk on 0113 496 0200."
    nb.cells.insert(3, nbformat.v4.new_code_cell("# escalate above 10,000 followers\nTHRESHOLD = 10_000"))
    nb.cells.insert(4, nbformat.v4.new_code_cell("answer = ...\n### BEGIN SOLUTION\nanswer = 'Harbourline "
                                                 "Logistics'\n### END SOLUTION"))
    nbformat.write(nb, copy)
    found = {(hit.where.split(" cell ")[1], hit.fact) for hit in hard_coded_facts(copy, facts)}
    assert found == {("2 (markdown)", "Social Media Desk"), ("2 (markdown)", "0113 496 0200"),
                     ("3 (code)", "10,000 followers")}


def test_table_lists_only_items_that_read_the_policy() -> None:
    """Every item expected to change exists, and its hidden test reads the policy (judgement calls never change)."""
    for module, items in EXPECTED_TO_CHANGE.items():
        notebook = SOLUTIONS / module / f"{module}.ipynb"
        if not notebook.exists():
            pytest.fail(f"{module} is in EXPECTED_TO_CHANGE but not in solutions/")
        kinds = {i.grade_id: i.kind for i in pi.module_items(notebook)}
        for grade_id in items:
            assert grade_id in kinds, f"{module}: no graded item {grade_id!r}"
            assert kinds[grade_id] in (pi.POLICY, pi.JUDGEMENT_AND_POLICY), f"{module} {grade_id}: {kinds[grade_id]}"


def test_every_released_module_is_covered() -> None:
    """Each module released to exercises/ is in EXPECTED_TO_CHANGE, so the swap tests run it."""
    released = sorted(p.name for p in EXERCISES.glob("[0-9][0-9]-*") if p.is_dir())
    missing = [m for m in released if m not in EXPECTED_TO_CHANGE]
    assert not missing, (f"add {missing} to EXPECTED_TO_CHANGE in this file: read its hidden tests for "
                         "items whose answer comes from a policy value that differs between the two companies")


@pytest.mark.xfail(strict=True, raises=PolicyError, reason=(
    "reported on issue #3: data/practice/01-value-not-noise.yaml names the noise category by its id "
    "('noise'), though value.yaml says the noise category may have any id"))
def test_the_noise_category_may_have_any_id(tmp_path: Path) -> None:
    """A policy whose no-value category has another id still runs module 01's practice deck."""
    from course.practice import load_practice

    folder = tmp_path / "policies"
    shutil.copytree(EXAMPLE, folder)
    value = yaml.safe_load((folder / "value.yaml").read_text("utf-8"))
    for category in value["categories"]:
        if category.get("is_noise"):
            category["id"] = "chatter"
    (folder / "value.yaml").write_text(yaml.safe_dump(value, sort_keys=False), "utf-8")
    policies = load_policies(folder)
    assert policies.value.noise.id == "chatter"
    load_practice("01-value-not-noise", policies=policies)


# -- slow checks: the released course, and the solutions, run under both policies -----------------

#: Notebooks run at once. Most of a run is spent waiting for kernels, not computing, so three at a
#: time roughly thirds the wall time on two cores without crowding them.
PARALLEL_RUNS = 3


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], nbformat.NotebookNode]:
    """The covered modules released with nbgrader; each exercise run under the example policy, and each
    solution under both policies: ``(what, module) -> executed notebook``."""
    result = release(release_dir=tmp_path_factory.mktemp("release"), assignments=COVERED)
    assert result.assignments == COVERED
    jobs = {("exercise", nb.parent.name): (nb, EXAMPLE, LEARNER_INPUT.get(nb.parent.name))
            for nb in result.notebooks}
    for module in COVERED:
        solution = SOLUTIONS / module / f"{module}.ipynb"
        jobs[("solution-default", module)] = (solution, DEFAULT, None)
        jobs[("solution-example", module)] = (solution, EXAMPLE, None)
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        futures = {key: pool.submit(execute, *job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


@pytest.fixture(params=COVERED)
def module(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.slow
def test_released_exercise_runs_under_the_example_policy(runs: dict, module: str) -> None:
    """Every cell of the released exercise runs; check cells stop only at the friendly "not answered yet"."""
    nb = runs["exercise", module]
    assert not other_cell_errors(nb), "\n".join(other_cell_errors(nb))
    checks = [c for c in nb.cells if is_test_cell(c)]
    assert checks, "no check cells in the released exercise"
    typed = {grade_id.removesuffix("_answer") for grade_id in LEARNER_INPUT.get(module, {})}
    for cell in checks:
        grade_id = nbgrader_meta(cell)["grade_id"]
        found = errors(cell)
        if grade_id in typed:
            assert not found, f"{grade_id}: {[e.evalue for e in found]}"
            continue
        assert [e.ename for e in found] == ["NotAnsweredError"], f"{grade_id}: {[e.evalue for e in found]}"
        # one plain line with the pencil sign, no traceback
        assert found[0].traceback == [f"✏️ {found[0].evalue}"], found[0].traceback


#: Facts of the example policy that each module must show, from its tables, widgets or cards.
SHOWN: dict[str, list[str]] = {
    "00-start-here": ["Harbourline Logistics", "conduct@harbourline.example"],
    "01-value-not-noise": ["A question answered in the open", "Includes the detail or the link needed to act"],
    "02-privacy-and-audiences": ["The Quay (Harbourline's staff network)",
                                 "Keep my list of contacts and connections private",
                                 "What a vehicle is carrying and where it is going"],
    "03-choosing-the-channel": ["5,000 followers", "Network Control Room", "0191 498 0999", "A driver who is driving"],
    "04-one-brand-voice": ["Say that you work at Harbourline", "#HarbourlineCrew", "Harbourline Logistics"],
    "05-norms-and-moderation": ["Digital Conduct Team", "0191 498 0310", "Apologise and take it to a private channel"],
    "06-cases-and-numbers": ["conduct@harbourline.example"],
    "07-final-check": ["The Quay (Harbourline's staff network)", "Say that you work at Harbourline"],
}


@pytest.mark.slow
def test_outputs_show_the_example_company(runs: dict, module: str) -> None:
    """The tables, cards and widgets show Harbourline's names, contacts, labels and limits."""
    shown = shown_text(runs["exercise", module])
    missing = [fact for fact in SHOWN[module] if fact not in shown]
    assert not missing, f"not shown under the example policy: {missing}"
    assert "harbourline" in shown.casefold()


@pytest.mark.slow
def test_outputs_show_nothing_of_the_default_company(runs: dict, module: str) -> None:
    """No output or widget names Brightwater or shows one of its distinctive facts (except known leaks)."""
    shown = shown_text(runs["exercise", module])
    known = KNOWN_LEAKS.get(module, {})
    fixed = [leak for leak in known if leak not in shown]
    for leak in known:
        shown = shown.replace(leak, "[a known leak]")
    brightwater = {f: w for f, w in both_companies_facts().items() if w.startswith("Brightwater")}
    hits = [f"{hit.fact!r} ({hit.source})" for hit in find_facts(shown, brightwater, module)]
    hits += [f"...{shown[max(0, m.start() - 40):m.end() + 40]}..." for m in re.finditer("brightwater", shown, re.I)]
    assert not hits, "Brightwater's policy shows under Harbourline's:\n" + "\n".join(hits)
    assert not fixed, f"no longer shown, remove from KNOWN_LEAKS: {fixed}"


@pytest.mark.slow
def test_widgets_are_built(runs: dict, module: str) -> None:
    """Each practice tool, panel, checker and explorer shows a widget whose state was saved with the notebook."""
    nb = runs["exercise", module]
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    calls = [c for c in nb.cells if c.cell_type == "code" and _WIDGET_CALL.search(c.source)]
    assert calls, "no widget in this module"
    for cell in calls:
        views = [o.data[WIDGET_VIEW] for o in cell.outputs if WIDGET_VIEW in o.get("data", {})]
        assert views, f"no widget shown by: {cell.source[:80]}"
        assert all(v["model_id"] in state for v in views), f"widget state missing for: {cell.source[:80]}"


@pytest.mark.slow
def test_solutions_pass_under_the_default_policy(runs: dict, module: str) -> None:
    """Under the policy the solutions were written for, every cell runs and every hidden test passes."""
    nb = runs["solution-default", module]
    assert other_cell_errors(nb) == []
    assert failing_items(nb) == {}


@pytest.mark.slow
def test_hidden_tests_follow_the_example_policy(runs: dict, module: str) -> None:
    """Under the example policy, exactly the items whose policy value differs fail; no judgement call does."""
    nb = runs["solution-example", module]
    assert other_cell_errors(nb) == []
    failing = failing_items(nb)
    assert set(failing) == set(EXPECTED_TO_CHANGE[module]), (
        f"failing under the example policy: {failing}; expected: {sorted(EXPECTED_TO_CHANGE[module])}")
    judgement_only = {i.grade_id for i in pi.module_items(SOLUTIONS / module / f"{module}.ipynb")
                      if i.kind == pi.JUDGEMENT}
    assert not judgement_only & set(failing)
    assert set(failing.values()) <= {"AssertionError", "AnswerFormatError"}

