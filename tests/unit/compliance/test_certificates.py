"""course.compliance.certificates: codes depend on every detail and the key; the PDFs are well formed."""

from __future__ import annotations

import re

import pytest

from course.compliance.certificates import (
    CertificateError,
    certificate_code,
    normalise_code,
    render_pdf,
)

CERT = {
    "certificate_id": "E1-2026-08-10", "employee_id": "E1", "name": "Avery (Quill) Feather\\", "track": "all_staff",
    "track_label": "All staff", "certified_on": "2026-08-10", "valid_until": "2027-07-23", "issued_on": "2026-11-20",
    "policy_version": "2026.1", "policy_hash": "ab" * 32,
    "modules": [{"id": "02-privacy-and-audiences", "title": "Privacy and audiences", "score": 14.0, "max_score": 16.0,
                 "percent": 87.5, "pass_mark": 75.0, "passed_on": "2026-08-10"}],
}
KEY = b"k" * 32


def test_code_format_and_what_a_person_may_type() -> None:
    """Codes read SMW- and four groups of five; case, spaces and 0/1 lookalikes are forgiven."""
    code = certificate_code(KEY, CERT)
    assert re.fullmatch(r"SMW(-[A-Z2-7]{5}){4}", code)
    assert normalise_code(code.lower().replace("-", " ")) == code
    assert normalise_code(code.replace("O", "0").replace("I", "1")) == code
    for bad in ("", "SMW-", "SMW-ABCDE-FGHIJ-KLMNO-PQRS", "SMW-ABCDE-FGHIJ-KLMNO-PQRS!", "hello world"):
        with pytest.raises(CertificateError):
            normalise_code(bad)


def test_code_depends_on_every_detail_and_the_key() -> None:
    """Changing any field of the certificate, or the key, gives another code."""
    code = certificate_code(KEY, CERT)
    assert certificate_code(KEY, dict(CERT)) == code
    assert certificate_code(b"j" * 32, CERT) != code
    for field, value in (("name", "Avery Feather"), ("valid_until", "2028-07-23"), ("policy_hash", "cd" * 32)):
        assert certificate_code(KEY, {**CERT, field: value}) != code
    changed = {**CERT, "modules": [{**CERT["modules"][0], "percent": 100.0}]}
    assert certificate_code(KEY, changed) != code


def _objects_at_their_offsets(pdf: bytes) -> None:
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[start:start + 4] == b"xref"
    lines = pdf[start:].split(b"\n")
    count = int(lines[1].split()[1])
    for number in range(1, count):
        offset = int(lines[2 + number].split()[0])
        assert pdf[offset:].startswith(f"{number} 0 obj".encode()), number


def test_latin1_certificate_is_a_well_formed_pdf() -> None:
    """The direct writer's PDF has a valid cross-reference table and shows name, modules and code."""
    code = certificate_code(KEY, CERT)
    pdf = render_pdf(CERT, code, company="Brightwater Supplies", verify_hint="Check it")
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    _objects_at_their_offsets(pdf)
    assert b"(Avery \\(Quill\\) Feather\\\\) Tj" in pdf  # PDF string escaping
    assert code.encode() in pdf and b"Privacy and audiences" in pdf and b"88 %" in pdf
    stream = pdf.split(b"stream\n", 1)[1].split(b"\nendstream", 1)[0]
    assert f"/Length {len(stream)} ".encode() in pdf


def test_unicode_names_use_an_embedded_font() -> None:
    """A name outside Latin-1 is written through fpdf2 with DejaVu Sans embedded."""
    cert = {**CERT, "name": "Łukasz Żółć"}
    pdf = render_pdf(cert, certificate_code(KEY, cert), company="Brightwater Supplies", verify_hint="Check it")
    assert pdf.startswith(b"%PDF-") and b"DejaVu" in pdf


@pytest.mark.parametrize("name", ["Avery (Quill) Feather\\", "Zoë Łukasiewicz-Ōta"])
def test_both_pdf_writers_give_title_language_and_selectable_code(name: str) -> None:
    """The direct writer (Latin-1 names) and fpdf2 (other scripts) both set the title, shown as the
    window title, English as the document language, and write the code as text a reader can select."""
    from io import BytesIO

    from pypdf import PdfReader

    cert = {**CERT, "name": name}
    code = certificate_code(KEY, cert)
    reader = PdfReader(BytesIO(render_pdf(cert, code, company="Brightwater Supplies", verify_hint="Check it")))
    root = reader.trailer["/Root"]
    assert reader.metadata.title == f"Certificate {code}"
    assert str(root["/Lang"]) == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
    text = reader.pages[0].extract_text()
    assert code in text and "Certificate of completion" in text
    assert not reader.pages[0].images
