"""course.privacy: the scanner finds what must never be posted, with span and reason, from the policy YAML;
public values are allowed; bad patterns are refused on load; adversarial input never hangs it."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from course.policy import PolicyError, load_policies
from course.policy._sensitive import check_pattern
from course.privacy import Scanner, luhn_valid, scan, scanner_for
from course.voice._findings import CheckInputError, mask

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "data" / "policies"


def found(text: str) -> list[tuple[str, str]]:
    """(kind, flagged text) for everything the shipped policy finds in ``text``."""
    return [(kind, text[a:b]) for kind, a, b in scanner_for().detect(text)]


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    for path in POLICIES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit_kinds(directory: Path, change) -> None:
    path = directory / "sensitive_content.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data["kinds"])
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email tamsin.q@mailbox.example today.", [("email", "tamsin.q@mailbox.example")]),
        ("<Kit.Harrowby@Example.co.uk>", [("email", "Kit.Harrowby@Example.co.uk")]),
        ("Ring 07700 900123 or 0113 496 0456", [("phone", "07700 900123"), ("phone", "0113 496 0456")]),
        ("Call +44 (0)20 7946 0321 now", [("phone", "+44 (0)20 7946 0321")]),
        ("US office (202) 555-0186", [("phone", "(202) 555-0186")]),
        ("card 4111-1111-1111-1111 ok", [("payment_card", "4111-1111-1111-1111")]),
        ("Amex 3782 822463 10005", [("payment_card", "3782 822463 10005")]),
        ("account BW-20418873, and bw 31177402", [("account_number", "BW-20418873"),
                                                  ("account_number", "bw 31177402")]),
        ("see CS-482913 and rma204733", [("ticket_number", "CS-482913"), ("ticket_number", "rma204733")]),
        ("deliver to Flat 3, 27 Harbour View Road, Leeds LS6 2QT today",
         [("street_address", "Flat 3, 27 Harbour View Road, Leeds LS6 2QT")]),
        ("drop it at Rose Cottage, Mill Lane", [("street_address", "Rose Cottage, Mill Lane")]),
        ("parcel for 14 mill lane", [("street_address", "14 mill lane")]),
        ("Project Nightjar and #ProjectNightjar", [("code_name", "Project Nightjar"),
                                                   ("code_name", "ProjectNightjar")]),
        ("The AquaCrate Max is not the AquaCrate", [("unreleased_product", "AquaCrate Max")]),
        ("An order for oakridge garden centre", [("customer_name", "oakridge garden centre")]),
        ("Call Bjo\u0308rn Easterbrook and Anais Ferreday", [("customer_name", "Bjo\u0308rn Easterbrook"),
                                                             ("customer_name", "Anais Ferreday")]),
        ("STRICTLY CONFIDENTIAL: draft", [("confidential_marker", "STRICTLY CONFIDENTIAL")]),
    ],
)
def test_each_kind_is_found_with_its_span(text: str, expected: list[tuple[str, str]]) -> None:
    """It finds every kind the policy lists, in the forms people write them, with the exact span."""
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Call our helpline on 0808 157 0192 or write to help@brightwater.example",
        "Visit us at 48 Market Street, Leeds or 1 Canal Wharf",
        "12,500 units on 14/03/2026 from 09:00-17:30 at £1,299.99 for 2019-2024",
        "order 55501234, invoice 0045127788, version 2.4.1, batch 2026-03-14",
        "card ending 1111, order ref 4111 1111 1111 1112, barcode 5012345678900",
        "account BW-2041887, SKU BW-EC200, ref BW-204188731, code BWC-20418873",
        "case CS-48291, CSR-482913, the RMA process, ISO-9001",
        "3 Top Tips, our 5 Leeds stores, a 5 min walk, 2 big road signs, 3 rose gardens",
        "a copper kettle, the nightjars, our ClearFlow filter, I'm confident, tag @sam_k",
        "0000 0000 0000 0000 and 4111 1111-1111 1111",
    ],
)
def test_lookalikes_and_public_values_are_not_flagged(text: str) -> None:
    """Public contact points, published addresses and numbers that only look sensitive pass."""
    assert found(text) == []


def test_findings_carry_rule_id_severity_reason_and_suggestion() -> None:
    """A finding says which kind, that it blocks, why, and what to do instead."""
    [finding] = scan("Her card is 4111 1111 1111 1111")
    assert finding.rule_id == "sensitive.payment_card" and finding.severity == "blocking"
    assert finding.message.startswith("Payment card number: ") and "Delete it" in finding.suggestion


def test_luhn_checksum() -> None:
    """Known test card numbers pass the Luhn check; changing one digit fails it."""
    assert luhn_valid("4111111111111111") and luhn_valid("378282246310005") and luhn_valid("5555555555554444")
    assert not luhn_valid("4111111111111112") and not luhn_valid("378282246310006")


def test_overlapping_findings_keep_the_longer(policy_copy: Path) -> None:
    """Where a longer finding covers a shorter one (a card over an account-like group), only the longer is kept."""
    edit_kinds(policy_copy, lambda kinds: kinds[3]["patterns"].append(r"\b\d{4} \d{4}\b"))
    scanner = Scanner.from_policy(load_policies(policy_copy).sensitive)
    text = "pay with 4111 1111 1111 1111 or 1234 5678"
    assert [(k, text[a:b]) for k, a, b in scanner.detect(text)] == [
        ("payment_card", "4111 1111 1111 1111"), ("account_number", "1234 5678")]


def test_scan_accepts_utf8_bytes_and_names_bad_bytes() -> None:
    """Bytes are decoded as UTF-8; anything else gets a clear error."""
    assert [f.rule_id for f in scan(b"Mobile 07700 900123")] == ["sensitive.phone"]
    with pytest.raises(CheckInputError, match="byte 2 is 0xc3"):
        scan(b"ab\xc3(")


def test_mask_hides_the_middle_of_a_value() -> None:
    """Reports show enough of a value to find it, not enough to use it."""
    assert mask("4111 1111 1111 1111") == "4111•••••••••••1111"
    assert mask("BW-20418873") == "BW•••••••73"
    assert mask("abc") == "•••"


def test_company_formats_and_lists_come_from_the_yaml(policy_copy: Path) -> None:
    """A new account format and a new customer in the YAML are found without code changes."""
    def change(kinds: list[dict]) -> None:
        kinds[3]["patterns"].append(r"\bACC/\d{5}\b")
        kinds[8]["terms"].append("Greywater Logistics")

    edit_kinds(policy_copy, change)
    scanner = Scanner.from_policy(load_policies(policy_copy).sensitive)
    text = "ACC/12345 for Greywater Logistics"
    assert [(k, text[a:b]) for k, a, b in scanner.detect(text)] == [
        ("account_number", "ACC/12345"), ("customer_name", "Greywater Logistics")]


def test_case_sensitive_terms(policy_copy: Path) -> None:
    """With case_sensitive, a code name written in lower case (an ordinary word) is not flagged."""
    edit_kinds(policy_copy, lambda kinds: kinds[6].update(case_sensitive=True))
    scanner = Scanner.from_policy(load_policies(policy_copy).sensitive)
    assert [k for k, _, _ in scanner.detect("Nightjar is late; a nightjar sang")] == ["code_name"]


def test_bad_pattern_names_file_and_key(policy_copy: Path) -> None:
    """A pattern that does not compile is reported with the file and the key."""
    edit_kinds(policy_copy, lambda kinds: kinds[4].update(patterns=["\\bCS-(\\d{6}"]))
    with pytest.raises(PolicyError) as info:
        _ = load_policies(policy_copy).sensitive
    assert info.value.key == "kinds[4].patterns[0]" and "sensitive_content.yaml" in str(info.value)


def test_detector_options_must_fit_the_detector(policy_copy: Path) -> None:
    """A 'pattern' kind without patterns, or terms on an email kind, is an error naming the kind."""
    edit_kinds(policy_copy, lambda kinds: kinds[3].update(patterns=[]))
    with pytest.raises(PolicyError, match="kind 'account_number' uses detector 'pattern' but lists no patterns"):
        _ = load_policies(policy_copy).sensitive


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [(r"\bBW[- ]?\d{8}\b", True), (r"(?:\d{4}[ -]){3}\d{4}", True), (r"\^[A-Z]{2,3}", True),
     (r"(a+)+b", False), (r"(\d{1,3}\.?){4}", False), (r"\w+@", False), (r"(x|y)*", False), (r"(a)(?(1)b|c)", False)],
)
def test_pattern_safety_rules(pattern: str, ok: bool) -> None:
    """Bounded, unnested patterns are accepted; nested, unbounded or back-referencing ones are refused."""
    if ok:
        assert check_pattern(pattern) == pattern
    else:
        with pytest.raises(ValueError, match=r"slow|unlimited|back-references"):
            check_pattern(pattern)


# 100,000 characters is ample: a pattern that backtracks badly takes minutes on inputs far shorter.
N = 100_000
ADVERSARIAL = [
    "a" * N, "0" * N, "0 " * (N // 2), "1-" * (N // 2), "a@" * (N // 2), "a." * (N // 2), "a@a." * (N // 4),
    "A " * (N // 2), "Aa " * (N // 3), "1 Aa " * (N // 5), "1 aaa " * (N // 6), "+" * N, "+1 " * (N // 3),
    "(0" * (N // 2), "BW " * (N // 3), "CS-" * (N // 3), "Project " * (N // 8), "e\u0301" * (N // 2),
    "4111 " * (N // 5), "Flat 1, " * (N // 8), "Aa Cottage, " * (N // 12),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:8]))
def test_adversarial_input_is_scanned_in_linear_time(text: str) -> None:
    """Inputs built to make regular expressions backtrack are scanned quickly, with valid spans."""
    spans = scanner_for().detect(text)
    assert all(0 <= a < b <= len(text) for _, a, b in spans)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_spans_are_inside_the_text_and_do_not_overlap(text: str) -> None:
    """For any text, findings lie inside it, in order, and never overlap."""
    spans = scanner_for().detect(text)
    assert all(0 <= a < b <= len(text) for _, a, b in spans)
    assert all(prev[2] <= nxt[1] for prev, nxt in itertools.pairwise(spans))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=15, max_size=15), st.sampled_from(["4", "51", "55"]))
def test_any_luhn_valid_card_is_found(digits: list[int], prefix: str) -> None:
    """Every Luhn-valid 16-digit number, grouped in fours, is found as a card."""
    body = prefix + "".join(map(str, digits))[: 15 - len(prefix)]
    number = next(body + c for c in "0123456789" if luhn_valid(body + c))
    if len(set(number)) < 2:
        return
    grouped = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    assert found(f"card {grouped} thanks") == [("payment_card", grouped)]
