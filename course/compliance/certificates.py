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
#
# The page is described once, as drawing operations in millimetres from the top left (``layout``), and
# written by one of two backends: a direct PDF writer using the standard Helvetica and Courier fonts
# (no embedding, a fraction of a millisecond per certificate, for text in Latin-1), or fpdf2 with an
# embedded DejaVu Sans for names in other scripts.

PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, mm
_PT = 72 / 25.4
INK, ACCENT, MUTED = (31, 41, 55), (21, 101, 192), (100, 110, 125)
STRIPE, HEAD = (246, 248, 251), (232, 240, 252)


@dataclass(frozen=True)
class Text:
    x: float  # left edge of the box the text is aligned in
    y: float  # baseline
    text: str
    font: str  # "regular" | "bold" | "mono"
    size: float
    colour: tuple[int, int, int] = INK
    width: float = 0.0  # box width; 0 = left-aligned at x
    align: str = "L"  # "L" | "C"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    colour: tuple[int, int, int]
    fill: bool = False
    line: float = 0.3


def layout(certificate: dict[str, Any], code: str, *, company: str, verify_hint: str) -> list[Text | Rect]:
    """The certificate page as drawing operations."""
    c = certificate

    def centred(y: float, text: str, size: float, font: str = "regular", colour: tuple[int, int, int] = INK) -> Text:
        return Text(0, y, text, font, size, colour, PAGE_W, "C")

    ops: list[Text | Rect] = [
        Rect(10, 10, 277, 190, ACCENT, line=1.2), Rect(13, 13, 271, 184, ACCENT, line=0.3),
        centred(29, company.upper(), 12, colour=MUTED),
        centred(45, "Certificate of completion", 30, "bold"),
        centred(57, "Social Media at Work", 13),
        centred(67, "This certifies that", 13, colour=MUTED),
        centred(80, c["name"], 24, "bold", ACCENT),
        centred(89, f"employee {c['employee_id']}  ·  {c['track_label']}", 11, colour=MUTED),
        centred(96, f"passed every required module and is certified from {c['certified_on']} until "
                f"{c['valid_until']}.", 11, colour=MUTED),
    ]
    x0, top, rh, widths = 38.0, 102.0, 6.6, (118.0, 32.0, 30.0, 41.0)
    ops.append(Rect(x0, top, sum(widths), rh, HEAD, fill=True))
    rows = [(("Module", "Score", "Pass mark", "Passed on"), "bold")]
    for m in c["modules"]:
        rows.append(((f"{m['id'][:2]}  {m['title']}", f"{m['percent']:.0f} %", f"{m['pass_mark']:g} %",
                      m["passed_on"] or ""), "regular"))
    for i, (cells, font) in enumerate(rows):
        y = top + rh * i
        if i and i % 2 == 0:
            ops.append(Rect(x0, y, sum(widths), rh, STRIPE, fill=True))
        x = x0
        for k, (w, text) in enumerate(zip(widths, cells, strict=True)):
            ops.append(Text(x + 2, y + 4.6, text, font, 10) if k == 0
                       else Text(x, y + 4.6, text, font, 10, INK, w, "C"))
            x += w
    ops += [
        centred(172, "Verification code", 9, colour=MUTED),
        centred(179.5, code, 16, "mono"),
        centred(186, f"Issued {c['issued_on']} under completion policy {c['policy_version']}; policy files SHA-256 "
                f"{c['policy_hash']}", 7.5, colour=MUTED),
        centred(191, verify_hint, 7.5, colour=MUTED),
    ]
    return ops


def render_pdf(certificate: dict[str, Any], code: str, *, company: str, verify_hint: str) -> bytes:
    """One A4 landscape page: who, which modules with scores and dates, validity, policy hash, code.

    Accessible as a plain PDF can be: its title (shown by viewers), its language (English) and real,
    selectable text throughout, the verification code included, never a picture of text.
    """
    ops = layout(certificate, code, company=company, verify_hint=verify_hint)
    title = f"Certificate {code}"
    if _latin1([op.text for op in ops if isinstance(op, Text)] + [title, company]):
        return _core_pdf(ops, title=title, author=company, created=_midday(certificate["issued_on"]))
    return _fpdf_pdf(ops, title=title, author=company, created=_midday(certificate["issued_on"]))


_CORE = {"regular": ("F1", "Helvetica", "helvetica"), "bold": ("F2", "Helvetica-Bold", "helveticaB"),
         "mono": ("F3", "Courier-Bold", "courierB")}


def _width(text: str, font: str, size: float) -> float:
    """Width in mm of ``text`` in a standard PDF font (Adobe's metrics, as fpdf2 ships them)."""
    from fpdf.fonts import CORE_FONTS_CHARWIDTHS

    widths = CORE_FONTS_CHARWIDTHS[_CORE[font][2]]
    return sum(widths.get(ch, 600) for ch in text) * size / 1000 / _PT


def _pdf_string(text: str) -> bytes:
    raw = text.encode("latin-1")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _rgb(colour: tuple[int, int, int]) -> str:
    return " ".join(f"{v / 255:.4f}" for v in colour)


def _core_pdf(ops: list[Text | Rect], *, title: str, author: str, created: datetime) -> bytes:
    """A one-page PDF 1.4 written directly: standard fonts, WinAnsi text, an uncompressed content stream."""
    parts: list[bytes] = []
    for op in ops:
        if isinstance(op, Rect):
            y = (PAGE_H - op.y - op.h) * _PT
            if op.fill:
                parts.append(f"{_rgb(op.colour)} rg {op.x * _PT:.2f} {y:.2f} {op.w * _PT:.2f} {op.h * _PT:.2f} re f"
                             .encode())
            else:
                parts.append(f"{op.line * _PT:.2f} w {_rgb(op.colour)} RG {op.x * _PT:.2f} {y:.2f} "
                             f"{op.w * _PT:.2f} {op.h * _PT:.2f} re S".encode())
        else:
            x = op.x + (op.width - _width(op.text, op.font, op.size)) / 2 if op.align == "C" else op.x
            parts.append(f"BT /{_CORE[op.font][0]} {op.size:g} Tf {_rgb(op.colour)} rg {x * _PT:.2f} "
                         f"{(PAGE_H - op.y) * _PT:.2f} Td ".encode() + _pdf_string(op.text) + b" Tj ET")
    content = b"\n".join(parts)
    stamp = created.strftime("D:%Y%m%d%H%M%SZ")
    fonts = b" ".join(f"/{key} {5 + i} 0 R".encode() for i, (key, _, _) in enumerate(_CORE.values()))
    objects = [
        # Lang: the document's language for screen readers; DisplayDocTitle: viewers show the title, not the file name
        b"<< /Type /Catalog /Pages 2 0 R /Lang (en) /ViewerPreferences << /DisplayDocTitle true >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W * _PT:.2f} {PAGE_H * _PT:.2f}] ".encode()
        + b"/Resources << /Font << " + fonts + b" >> >> /Contents 4 0 R >>",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
        *(f"<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>".encode()
          for _, base, _ in _CORE.values()),
        b"<< /Title " + _pdf_string(title) + b" /Author " + _pdf_string(author)
        + b" /Producer (Social Media at Work) /CreationDate " + _pdf_string(stamp) + b" >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    doc_id = sha256(bytes(out)).hexdigest()[:32]
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R "
            f"/ID [<{doc_id}> <{doc_id}>] >>\nstartxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def _fpdf_pdf(ops: list[Text | Rect], *, title: str, author: str, created: datetime) -> bytes:
    """The same page through fpdf2 with an embedded Unicode font (DejaVu Sans from matplotlib)."""
    from fpdf import FPDF, ViewerPreferences

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_lang("en")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.set_author(author)
    pdf.set_creation_date(created)
    font = _unicode_font()
    families = {"regular": ("Helvetica", ""), "bold": ("Helvetica", "B"), "mono": ("Courier", "B")}
    if font:
        pdf.add_font("DejaVu", "", font)
        families.update(regular=("DejaVu", ""), bold=("DejaVu", ""))
    pdf.add_page()
    for op in ops:
        if isinstance(op, Rect):
            if op.fill:
                pdf.set_fill_color(*op.colour)
                pdf.rect(op.x, op.y, op.w, op.h, style="F")
            else:
                pdf.set_draw_color(*op.colour)
                pdf.set_line_width(op.line)
                pdf.rect(op.x, op.y, op.w, op.h)
            continue
        family, style = families[op.font]
        pdf.set_font(family, style, op.size)
        pdf.set_text_color(*op.colour)
        text = op.text if font or _latin1([op.text]) else op.text.encode("latin-1", "replace").decode("latin-1")
        x = op.x + (op.width - pdf.get_string_width(text)) / 2 if op.align == "C" else op.x
        pdf.text(x, op.y, text)
    return bytes(pdf.output())


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


def _midday(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time().replace(hour=12), tzinfo=UTC)
