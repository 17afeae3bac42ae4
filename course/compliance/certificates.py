"""Certificates of completion: a PDF per newly certified employee, with a code anyone can check.

The verification code is an HMAC-SHA256 of the certificate's data (canonical JSON) under a key
derived from the workspace's secret (``DIR/compliance/secret.key``, owner-only), shortened to 100
bits and written ``SMW-XXXXX-XXXXX-XXXXX-XXXXX`` (base32). The data and the code are recorded in the
ledger's ``certified`` event. :func:`verify_certificate` finds the event by its code and recomputes
the HMAC: a made-up code is unknown, and a certificate whose recorded data was altered no longer
matches its code. Without the workspace's secret nobody can make a code that verifies.
"""

from __future__ import annotations

import base64
import hmac
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import Any

from course.compliance._files import workspace_key
from course.compliance.ledger import Ledger, canonical_json

PREFIX = "SMW"
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B", "9": "G"})


class CertificateError(ValueError):
    """The text given is not a certificate code at all."""


@dataclass(frozen=True)
class CertificateCheck:
    valid: bool
    code: str
    reason: str
    certificate: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return self.valid


def certificate_key(root: Path | str) -> bytes:
    return workspace_key(Path(root), "certificate")


def certificate_code(key: bytes, certificate: dict[str, Any]) -> str:
    digest = hmac.new(key, canonical_json(certificate).encode("utf-8"), sha256).digest()
    text = base64.b32encode(digest[:15]).decode("ascii")[:20]
    return "-".join([PREFIX, *(text[i:i + 5] for i in range(0, 20, 5))])


def normalise_code(text: str) -> str:
    """``SMW-XXXXX-...`` from what a person typed: any case, spaces or dashes, 0/1 for O/I."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    if raw.startswith(PREFIX):
        raw = raw[len(PREFIX):]
    raw = raw.translate(_LOOKALIKES)
    if len(raw) != 20 or any(ch not in _B32 for ch in raw):
        raise CertificateError(f"{text!r} is not a certificate code (expected {PREFIX}- and 20 letters and digits "
                               "in groups of five)")
    return "-".join([PREFIX, *(raw[i:i + 5] for i in range(0, 20, 5))])


def verify_certificate(root: Path | str, code: str) -> CertificateCheck:
    """Whether ``code`` belongs to a certificate this workspace issued, and that certificate's data."""
    wanted = normalise_code(code)
    key_file = Path(root) / "compliance" / "secret.key"
    found = None
    for event in Ledger.for_workspace(root).events():
        if event.kind == "certified" and event.data.get("code") == wanted:
            found = event.data
    if found is None or not key_file.exists():
        return CertificateCheck(False, wanted, "no certificate with this code was issued from this workspace")
    certificate = found.get("certificate")
    if not isinstance(certificate, dict):
        return CertificateCheck(False, wanted, "the ledger's record of this certificate is damaged")
    if not hmac.compare_digest(certificate_code(certificate_key(root), certificate), wanted):
        return CertificateCheck(False, wanted, "the recorded certificate data no longer matches its code "
                                "(the record was altered)", certificate)
    return CertificateCheck(True, wanted, "issued by this workspace and unaltered", certificate)


# -- the PDF -----------------------------------------------------------------------------------------

@cache
def _unicode_font() -> str | None:
    """DejaVu Sans from matplotlib (a course dependency), for names outside Latin-1."""
    try:
        import matplotlib
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
    return path if os.path.exists(path) else None


def _latin1(texts: list[str]) -> bool:
    try:
        for t in texts:
            t.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def render_pdf(certificate: dict[str, Any], code: str, *, company: str, verify_hint: str) -> bytes:
    """One A4 landscape page: who, which modules with scores and dates, validity, policy hash, code.

    Text is placed with ``FPDF.text`` (positioned strings) rather than ``cell``: thousands of
    certificates in one report stay quick.
    """
    from fpdf import FPDF

    texts = [certificate["name"], company, *(m["title"] for m in certificate["modules"]), certificate["track_label"]]
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_compression(False)
    pdf.set_title(f"Certificate {code}")
    pdf.set_author(company)
    pdf.set_creation_date(_midday(certificate["issued_on"]))
    family, bold = "Helvetica", "B"
    if not _latin1(texts) and _unicode_font():
        pdf.add_font("DejaVu", "", _unicode_font())
        family, bold = "DejaVu", ""
    pdf.add_page()
    ink, accent, muted = (31, 41, 55), (21, 101, 192), (100, 110, 125)

    def centred(y: float, text: str, size: float, style: str = "", colour: tuple[int, int, int] = ink,
                font: str | None = None) -> None:
        pdf.set_font(font or family, style, size)
        pdf.set_text_color(*colour)
        pdf.text((297 - pdf.get_string_width(text)) / 2, y, text)

    pdf.set_draw_color(*accent)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, 271, 184)
    centred(29, company.upper(), 12, colour=muted)
    centred(45, "Certificate of completion", 30, bold)
    centred(57, "Social Media at Work", 13)
    centred(67, "This certifies that", 13, colour=muted)
    centred(80, certificate["name"], 24, bold, accent)
    centred(89, f"employee {certificate['employee_id']}  ·  {certificate['track_label']}", 11, colour=muted)
    centred(96, f"passed every required module and is certified from {certificate['certified_on']} "
            f"until {certificate['valid_until']}.", 11, colour=muted)

    # modules table
    x0, y = 38.0, 104.0
    widths = (118, 32, 30, 41)
    pdf.set_fill_color(232, 240, 252)
    pdf.rect(x0, y, sum(widths), 7, style="F")
    pdf.set_fill_color(246, 248, 251)
    for i in range(len(certificate["modules"])):
        if i % 2:
            pdf.rect(x0, y + 7 * (i + 1), sum(widths), 7, style="F")

    def row(top: float, cells: tuple[str, ...], style: str) -> None:
        pdf.set_font(family, style, 10)
        pdf.set_text_color(*ink)
        x = x0
        for k, (w, text) in enumerate(zip(widths, cells, strict=True)):
            tx = x + 2 if k == 0 else x + (w - pdf.get_string_width(text)) / 2
            pdf.text(tx, top + 4.9, text)
            x += w

    row(y, ("Module", "Score", "Pass mark", "Passed on"), bold)
    for i, m in enumerate(certificate["modules"]):
        row(y + 7 * (i + 1), (f"{m['id'][:2]}  {m['title']}", f"{m['percent']:.0f} %", f"{m['pass_mark']:g} %",
                              m["passed_on"] or ""), "")
    # footer: code, policy, how to verify
    centred(171, "Verification code", 9, colour=muted)
    centred(179, code, 16, "B", ink, font="Courier")
    centred(186, f"Issued {certificate['issued_on']} under completion policy {certificate['policy_version']}; "
            f"policy files SHA-256 {certificate['policy_hash']}", 7.5, colour=muted)
    centred(191, verify_hint, 7.5, colour=muted)
    return bytes(pdf.output())


def _midday(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time().replace(hour=12), tzinfo=UTC)
