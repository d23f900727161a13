"""The hostile inputs of /work/shared/HOSTILE.md as values, by class, for tests of every entry point.

A value is what a JSON client would send: text, an integer, a float (``json.dumps`` writes ``nan`` and ``inf``
as the raw tokens ``NaN`` and ``Infinity``, which Python's own parser accepts), an object or a list. Query
strings, form fields and paths carry ``as_text(value)``.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Hostile:
    label: str
    value: Any


FORTY_DIGITS = int("1234567890" * 4)
TOO_BIG_ID = 99999999999999999999
CONTROL = "a\x00b\x0bc\x1f"
MARKUP = "<img src=x onerror=alert(1)>"
BIG_TEXT = "x" * (3 * 1024 * 1024)  # 3 MB: only for one field per entry point, to keep the tests fast

# Numbers: out of range, absurd, not finite; as text and as JSON numbers or raw JSON tokens.
NUMBERS = (
    Hostile("1e20 as text", "1e20"),
    Hostile("1e20 as a JSON number", 1e20),
    Hostile("a 40-digit integer", FORTY_DIGITS),
    Hostile("-1", -1),
    Hostile("0", 0),
    Hostile("99999999999999999999", TOO_BIG_ID),
    Hostile("'Infinity'", "Infinity"),
    Hostile("'-Infinity'", "-Infinity"),
    Hostile("'NaN'", "NaN"),
    Hostile("'inf'", "inf"),
    Hostile("raw NaN token", math.nan),
    Hostile("raw Infinity token", math.inf),
    Hostile("raw -Infinity token", -math.inf),
)

# Text: control characters, spreadsheet formulas, markup and templates, full-width digits, odd spaces.
TEXTS = (
    Hostile("control characters", CONTROL),
    Hostile("formula =HYPERLINK", '=HYPERLINK("http://evil","x")'),
    Hostile("formula +1", "+1"),
    Hostile("formula -1", "-1"),
    Hostile("formula @SUM", "@SUM(A1)"),
    Hostile("markup <img onerror>", MARKUP),
    Hostile("markup </script>", "</script>"),
    Hostile("template {{ 7*7 }}", "{{ 7*7 }}"),
    Hostile("full-width digits", "１２３"),
    Hostile("non-breaking spaces", "\u00a012\u00a0"),
)

# The texts that look most like numbers, or must never reach one: for numeric fields.
NUMBER_LOOKALIKES = tuple(t for t in TEXTS if t.label in (
    "control characters", "formula =HYPERLINK", "full-width digits", "non-breaking spaces"))

DATES = (
    Hostile("date -1", "-1"),
    Hostile("year 10000", "10000-01-01"),
    Hostile("30 February", "2019-02-30"),
)

# Ids that name nothing (another jurisdiction's id is added by the test, which knows the cast).
IDS = (
    Hostile("id 99999999999999999999", TOO_BIG_ID),
    Hostile("id 0", 0),
    Hostile("id -1", -1),
    Hostile("a 40-digit id", FORTY_DIGITS),
)

# Whole request bodies that are not a JSON object.
BAD_JSON_BODIES = (
    Hostile("invalid JSON", b"{not json"),
    Hostile("truncated JSON", b'{"a": '),
    Hostile("empty body", b""),
    Hostile("a JSON list where an object is expected", b"[]"),
    Hostile("a JSON string where an object is expected", b'"x"'),
    Hostile("JSON null", b"null"),
    Hostile("a bare NaN token", b"NaN"),
    Hostile("invalid UTF-8", b'{"a": "\xff\xfe"}'),
    Hostile("100000 nested lists", b"[" * 100_000 + b"]" * 100_000),
)


def as_text(value: Any) -> str:
    """A value as a query string, form field or path segment carries it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


# --- files ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file to send; a fresh file object is made for every request."""

    name: str
    content: bytes
    content_type: str = "application/octet-stream"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG whose header claims 30000×30000 pixels (a few hundred bytes on the wire)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _chunk(b"IEND", b""))


def gif_bomb() -> bytes:
    """A GIF whose screen and image claim 65535×65535 pixels."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "GIF")
    data = bytearray(out.getvalue())
    data[6:10] = struct.pack("<HH", 65535, 65535)
    at = data.index(b"\x2c")
    data[at + 5:at + 9] = struct.pack("<HH", 65535, 65535)
    return bytes(data)


def good_jpeg(colour=(200, 30, 30)) -> bytes:
    from tests.evidence_files import jpeg

    return jpeg(colour)


def bad_files() -> tuple[Hostile, ...]:
    """Files whose content must be refused, whatever their name says."""
    photo = good_jpeg((9, 9, 9))
    return (
        Hostile("an empty file", Upload("空.jpg", b"", "image/jpeg")),
        Hostile("HTML renamed .jpg", Upload("x.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")),
        Hostile("SVG", Upload("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                              "image/svg+xml")),
        Hostile("an executable", Upload("x.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)),
        Hostile("a 30000x30000 PNG", Upload("bomb.png", png_bomb(), "image/png")),
        Hostile("a 65535x65535 GIF", Upload("bomb.gif", gif_bomb(), "image/gif")),
        Hostile("a truncated JPEG", Upload("cut.jpg", photo[: len(photo) // 3], "image/jpeg")),
    )


def bad_file_names() -> tuple[Hostile, ...]:
    """A good photo under a hostile name: may be accepted if the name is stored cleaned."""
    photo = good_jpeg((10, 200, 10))
    return (
        Hostile("name ../../x.jpg", Upload("../../x.jpg", photo, "image/jpeg")),
        Hostile("name with CRLF", Upload("a\r\nContent-Type: text/html.jpg", photo, "image/jpeg")),
        Hostile("name with control characters", Upload("a\x00b\x0bc\x1f.jpg", photo, "image/jpeg")),
        Hostile("a 300-character name", Upload("名" * 300 + ".jpg", photo, "image/jpeg")),
        Hostile("name with markup", Upload("<img src=x onerror=alert(1)>.jpg", photo, "image/jpeg")),
    )


# --- bearer tokens --------------------------------------------------------------------------------------------

MALFORMED_AUTHORIZATION = (
    Hostile("Bearer nonsense", "Bearer nonsense"),
    Hostile("an empty bearer token", "Bearer "),
    Hostile("a 5000-character bearer token", "Bearer " + "a" * 5000),
    Hostile("Basic credentials", "Basic Y2l0eV9vZmZpY2VyOlRlc3RAMjAyNg=="),
    Hostile("a bearer token with spaces", "Bearer a b c"),
    Hostile("a bearer token with control characters", "Bearer " + CONTROL),
    Hostile("a full-width bearer token", "Bearer １２３"),
)
