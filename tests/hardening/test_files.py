"""Uploads and spreadsheets as hostile testers and real clerks send them."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.models import Attachment
from parcelwatch.registry.importing import ENTERPRISE_SHEET, SITE_SHEET
from parcelwatch.registry.models import Enterprise, ImportBatch, Site
from tests.evidence_files import PDF, jpeg
from tests.factories import credit_code
from tests.hardening.conftest import bearer


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _chunk(b"IEND", b""))


def gif_bomb() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "GIF")
    data = bytearray(out.getvalue())
    data[6:10] = struct.pack("<HH", 65535, 65535)
    at = data.index(b"\x2c")
    data[at + 5:at + 9] = struct.pack("<HH", 65535, 65535)
    return bytes(data)


def active_pdf(escaped: bool = False) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    if escaped:  # names may hide their letters as #xx escapes
        data = data.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/OpenAction", b"/Open#41ction")
        data = data.replace(b"/JS ", b"/J#53 ")
    return data


@pytest.mark.parametrize(("content", "message"), [
    (png_bomb(), "像素"),
    (gif_bomb(), "像素"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "不是照片、PDF 或视频"),
    (b"<html><script>alert(1)</script></html>", "不是照片、PDF 或视频"),
    (active_pdf(), "脚本"),
    (active_pdf(escaped=True), "脚本"),
])
def test_hostile_files_are_refused_with_a_message(db, content, message):
    with pytest.raises(ValidationError, match=message):
        store_attachment(content, name="证据.jpg", actor=None)
    assert not Attachment.objects.exists()


def test_hostile_uploads_through_the_api_are_422_json(client, cast):
    for content in (png_bomb(), active_pdf()):
        response = client.post("/api/v1/evidence", {"file": SimpleUploadedFile("x.jpg", content)},
                               **bearer(cast.hanjiang_grid))
        assert response.status_code == 422 and response.json()["detail"]


def test_same_bytes_from_two_users_give_each_their_own_record(client, cast):
    first = client.post("/api/v1/evidence", {"file": SimpleUploadedFile("a.jpg", jpeg())}, **bearer(cast.zto_safety))
    second = client.post("/api/v1/evidence", {"file": SimpleUploadedFile("b.jpg", jpeg())},
                         **bearer(cast.hanjiang_officer))
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["sha256"] == second.json()["sha256"]
    assert Attachment.objects.get(pk=second.json()["id"]).uploaded_by == cast.hanjiang_officer
    # Neither can attach or open the other's record.
    client.force_login(cast.hanjiang_officer)
    assert client.get(reverse("evidence:file", args=[first.json()["id"]])).status_code == 404


def test_file_names_are_display_only_and_cleaned(db):
    attachment = store_attachment(PDF, name="../../etc/pass\r\nwd" + "长" * 300 + ".pdf", actor=None)
    assert "/" not in attachment.original_name and "\n" not in attachment.original_name
    assert len(attachment.original_name) <= 120 and attachment.original_name.endswith(".pdf")


def test_evidence_is_never_cached_by_shared_caches(client, cast):
    attachment = store_attachment(jpeg(), name="a.jpg", actor=cast.zto_safety)
    client.force_login(cast.zto_safety)
    response = client.get(reverse("evidence:file", args=[attachment.pk]))
    assert response["Cache-Control"] == "private, no-store"


# --- spreadsheets ----------------------------------------------------------------------------------------------


def _xlsx(rows) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("表.xlsx", out.getvalue())


def _upload(client, kind, file):
    return client.post(reverse("registry:import_upload", args=[kind]), {"file": file})


def _site_values(cast, **kw):
    row = {"网点名称": "中通涵东新开营业部", "网点类型": "营业网点", "运营企业统一社会信用代码": cast.zto_hanjiang.credit_code,
           "品牌": "中通", "备案编号": "IMP-0001", "地址": "莆田市涵江区涵东街道新开路1号", "县区": "涵江区",
           "乡镇街道": "涵东街道", "网格": "", "经度": 119.121, "纬度": 25.461, "状态": "正常经营", "安检机数量": 1}
    row.update(kw)
    return [row.get(h, "") for h in SITE_SHEET.header_labels()]


def test_row_limit_is_enforced_while_streaming(client, cast, settings):
    settings.IMPORT_MAX_ROWS = 20
    client.force_login(cast.hanjiang_officer)
    rows = [SITE_SHEET.header_labels()] + [_site_values(cast, 备案编号=f"IMP-{i}") for i in range(500)]
    response = _upload(client, "sites", _xlsx(rows))
    assert response.status_code == 200 and "超过 20 行" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_zip_bomb_workbook_is_refused_before_parsing(client, cast, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 10_000
    client.force_login(cast.hanjiang_officer)
    rows = [SITE_SHEET.header_labels()] + [_site_values(cast, 地址="很长的地址" * 200)] * 5
    response = _upload(client, "sites", _xlsx(rows))
    assert "解压后超过" in response.content.decode()


def test_truncated_workbook_and_huge_csv_field_get_clear_messages(client, cast):
    client.force_login(cast.hanjiang_officer)
    whole = _xlsx([SITE_SHEET.header_labels(), _site_values(cast)]).read()
    response = _upload(client, "sites", SimpleUploadedFile("t.xlsx", whole[: len(whole) - 200]))
    body = response.content.decode()
    assert response.status_code == 200 and ("无法读取" in body or "已损坏" in body)
    text = ",".join(SITE_SHEET.header_labels()) + "\n" + "x" * 200_000 + "\n"
    response = _upload(client, "sites", SimpleUploadedFile("big.csv", text.encode()))
    assert response.status_code == 200 and "无法读取" in response.content.decode()


def test_sheet_as_a_clerk_has_it(client, cast):
    """A merged title row above the header, full-width identifiers, short district names, a totals row."""
    client.force_login(cast.city_officer)
    code = credit_code("350304")
    full_width = code.translate(str.maketrans("0123456789ABCDEFGHJKLMNPQRTUWXY",
                                              "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ"))
    wb = Workbook()
    ws = wb.active
    ws.append(["2026年莆田市寄递企业名录"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    ws.append([])
    ws.append(ENTERPRISE_SHEET.header_labels())
    ws.append(["莆田市荔城区韵达快递有限公司", full_width + " ", "圆通", "", "", "张三", "李四", "０５９４－２２３３４４５",
               "荔城区某路1号", "荔城", "正常经营"])
    ws.append(["合计", "1 家"])
    out = io.BytesIO()
    wb.save(out)
    response = _upload(client, "enterprises", SimpleUploadedFile("名录.xlsx", out.getvalue()))
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    data_rows = [r for r in batch.rows if r["action"] != "skip"]
    assert [r["errors"] for r in data_rows] == [[]]
    assert data_rows[0]["line"] == 4
    preview = client.get(response.url).content.decode()
    assert "合计行，已跳过" in preview
    client.post(response.url, {"commit": "1"})
    enterprise = Enterprise.objects.get(credit_code=code)
    assert enterprise.jurisdiction == cast.licheng and enterprise.contact_phone == "0594-2233445"


def test_full_width_filing_number_matches_its_site_instead_of_duplicating_it(client, cast):
    client.force_login(cast.hanjiang_officer)
    number = cast.hanjiang_outlet.filing_number
    wide = number.translate(str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                          "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"))
    site = cast.hanjiang_outlet
    rows = [SITE_SHEET.header_labels(), _site_values(cast, 网点名称=site.name, 备案编号=wide, 地址=site.address,
                                                      网格="涵东第一网格", 经度=119.12, 纬度=25.46, 安检机数量=0,
                                                      品牌="中通")]
    response = _upload(client, "sites", _xlsx(rows))
    batch = ImportBatch.objects.get()
    assert batch.rows[0]["object_id"] == site.pk and batch.rows[0]["action"] in ("unchanged", "update")
    client.post(response.url, {"commit": "1"})
    assert Site.objects.filter(name=site.name).count() == 1


def test_each_row_reports_all_its_problems_and_likely_duplicates(client, cast):
    client.force_login(cast.hanjiang_officer)
    rows = [SITE_SHEET.header_labels(),
            _site_values(cast, 备案编号="IMP-9", 网点类型="飞艇站", 备案日期="昨天", 负责人电话="12345"),
            _site_values(cast, 网点名称="中通涵东营业部 ", 备案编号="IMP-10", 地址="莆田市涵江区涵东街道涵华路88号")]
    _upload(client, "sites", _xlsx(rows))
    first, second = ImportBatch.objects.get().rows
    assert len(first["errors"]) == 3  # kind, date and phone, all at once
    assert any("疑似与“中通涵东营业部”" in n for n in second["notes"]) and not second["errors"]


@pytest.mark.parametrize(("raw", "stored"), [("13800001111", "13800001111"), ("+86 138 0000 1111", "13800001111"),
                                            ("5942233445", "0594-2233445"), ("2233445", "0594-2233445"),
                                            ("０５９４-２２３３４４５", "0594-2233445")])
def test_phones_are_normalised(raw, stored):
    from parcelwatch.lib.phones import parse_phone

    assert parse_phone(raw).value == stored


@pytest.mark.parametrize("raw", ["12345", "1380000111", "abc", "2345678901234"])
def test_impossible_phones_are_refused(raw):
    from parcelwatch.lib.phones import parse_phone

    with pytest.raises(ValidationError):
        parse_phone(raw)
