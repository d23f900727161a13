"""The project's list of hostile inputs as values, by class, for tests of every entry point.

A value is what a JSON client would send: text, an integer, a float (``json.dumps`` writes ``nan`` and ``inf``
as the raw tokens ``NaN`` and ``Infinity``, which Python's own parser accepts), an object or a list. Query
strings, form fields and paths carry ``as_text(value)``. Files are ``Upload``s: photos and their bombs for
evidence, spreadsheets and theirs (zip bomb, truncated workbook, oversized CSV field, other encodings) for
registry imports.
"""

from __future__ import annotations

import csv
import io
import json
import math
import struct
import zipfile
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
    # str.isdigit() says yes to these, int() then refuses them.
    Hostile("superscript and Arabic-Indic digits", "²٣"),
    Hostile("non-breaking spaces", "\u00a012\u00a0"),
)

# The texts that look most like numbers, or must never reach one: for numeric fields.
NUMBER_LOOKALIKES = tuple(t for t in TEXTS if t.label in (
    "control characters", "formula =HYPERLINK", "full-width digits", "superscript and Arabic-Indic digits",
    "non-breaking spaces"))

DATES = (
    Hostile("date -1", "-1"),
    Hostile("year 10000", "10000-01-01"),
    Hostile("30 February", "2019-02-30"),
    Hostile("year 1", "0001-01-01"),
    Hostile("year 9999", "9999-12-31"),
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
    control: bool = False  # the content carries control characters (the stored data is then checked)


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


# --- spreadsheets (registry imports) --------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list]) -> bytes:
    """A real .xlsx whose first sheet holds these rows."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_file(rows: list[list], encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode(encoding)


def xlsx_bomb(good: bytes, unpacked: int) -> bytes:
    """The workbook `good` with its sheet replaced by one that unpacks to `unpacked` bytes (of blanks inside real
    sheet XML, so a reader without a limit would really parse them); about 100 KB on the wire."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(info.filename, source.read(info.filename))
                continue
            head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main"><sheetData>')
            tail = b"</sheetData></worksheet>"
            with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
                fh.write(head)
                blanks, left = b" " * (1 << 20), unpacked - len(head) - len(tail)
                while left > 0:
                    fh.write(blanks[:left])
                    left -= len(blanks)
                fh.write(tail)
    return out.getvalue()


def bad_sheets(header: list[str], row: list, *, max_bytes: int, max_rows: int, max_unpacked: int) -> tuple[Hostile, ...]:
    """Import files that must be refused (a clean 4xx, nothing staged), whatever their name says."""
    good = xlsx([header, row])
    good_csv = csv_file([header, row])
    zipped_text = io.BytesIO()
    with zipfile.ZipFile(zipped_text, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    huge = good_csv + b"\r\n" * ((max_bytes + 1 - len(good_csv)) // 2 + 1)
    long_field = csv_file([header, ["x" * (csv.field_size_limit() + 1), *row[1:]]])
    return (
        Hostile("an empty .xlsx", Upload("空.xlsx", b"", XLSX_TYPE)),
        Hostile("an empty .csv", Upload("空.csv", b"", "text/csv")),
        Hostile("a truncated .xlsx", Upload("cut.xlsx", good[: len(good) // 2], XLSX_TYPE)),
        Hostile(f"an .xlsx that unpacks to {max_unpacked // 2**20 + 1} MB (zip bomb)",
                Upload("bomb.xlsx", xlsx_bomb(good, max_unpacked + 2**20), XLSX_TYPE)),
        Hostile("a zip that is no workbook, named .xlsx", Upload("x.xlsx", zipped_text.getvalue(), XLSX_TYPE)),
        Hostile("a JPEG named .xlsx", Upload("photo.xlsx", good_jpeg((5, 5, 5)), XLSX_TYPE)),
        Hostile("a CSV named .xlsx", Upload("table.xlsx", good_csv, XLSX_TYPE)),
        Hostile("HTML named .csv", Upload("x.csv", b"<html><script>alert(1)</script></html>", "text/csv")),
        Hostile("a good .xlsx named .xls", Upload("网点.xls", good, "application/vnd.ms-excel")),
        Hostile("a good .xlsx named .txt", Upload("网点.txt", good, "text/plain")),
        Hostile("a good .xlsx without an extension", Upload("网点", good)),
        Hostile("an .xlsx with a header and no data rows", Upload("header.xlsx", xlsx([header]), XLSX_TYPE)),
        Hostile("an .xlsx without the required columns", Upload("other.xlsx", xlsx([["甲", "乙"], ["1", "2"]]),
                                                                XLSX_TYPE)),
        Hostile(f"a CSV field over the csv module's limit ({csv.field_size_limit()} characters)",
                Upload("long.csv", long_field, "text/csv")),
        Hostile("a UTF-16 CSV", Upload("utf16.csv", "\r\n".join(",".join(map(str, r)) for r in [header, row])
                                       .encode("utf-16"), "text/csv")),
        Hostile(f"a CSV of {max_rows + 1} data rows", Upload("many.csv", csv_file([header] + [row] * (max_rows + 1)),
                                                              "text/csv")),
        Hostile(f"a CSV of {len(huge)} bytes (over {max_bytes})", Upload("huge.csv", huge, "text/csv")),
    )


def good_sheets(header: list[str], row: list) -> tuple[Hostile, ...]:
    """The same sheet in the other forms clerks have it: these must be read exactly like the .xlsx."""
    return (
        Hostile("a UTF-8 CSV", Upload("网点.csv", csv_file([header, row]), "text/csv")),
        Hostile("a UTF-8 CSV with a BOM", Upload("网点.csv", csv_file([header, row], bom=True), "text/csv")),
        Hostile("a GBK CSV", Upload("网点.csv", csv_file([header, row], "gbk"), "text/csv")),
    )


def hostile_cells(header: list[str], row: list, cells: dict[str, str]) -> Upload:
    """A CSV (openpyxl refuses to write control characters) whose row carries hostile text in some columns."""
    unknown = set(cells) - set(header)
    assert not unknown, f"no such columns: {unknown}"
    values = [cells.get(h, v) for h, v in zip(header, row, strict=True)]
    return Upload("网点.csv", csv_file([header, values]), "text/csv", control=True)


def sheet_names(good: bytes) -> tuple[Hostile, ...]:
    """A good .xlsx under a hostile name: may be accepted if the name is stored cleaned."""
    return (
        Hostile("name ../../x.xlsx", Upload("../../x.xlsx", good, XLSX_TYPE)),
        Hostile("name with CRLF", Upload("a\r\nContent-Type: text/html.xlsx", good, XLSX_TYPE)),
        Hostile("name with control characters", Upload("a\x00b\x0bc\x1f.xlsx", good, XLSX_TYPE)),
        Hostile("a 300-character name", Upload("名" * 300 + ".xlsx", good, XLSX_TYPE)),
        Hostile("name with markup", Upload("<img src=x onerror=alert(1)>.xlsx", good, XLSX_TYPE)),
    )
