"""Import and export of the registry as spreadsheets."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from parcelwatch.registry.importing import ENTERPRISE_SHEET, SITE_SHEET
from parcelwatch.registry.models import ChangeRecord, Enterprise, ImportBatch, Site
from tests.exporting import export, export_sheet
from tests.factories import credit_code


def xlsx(rows, headers) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h, "") for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("网点.xlsx", out.getvalue())


SITE_HEADERS = SITE_SHEET.header_labels()
ENTERPRISE_HEADERS = ENTERPRISE_SHEET.header_labels()


def site_row(cast, **kw):
    row = {"网点名称": "中通涵东新开营业部", "网点类型": "营业网点", "运营企业统一社会信用代码": cast.zto_hanjiang.credit_code,
           "品牌": "中通", "备案编号": "IMP-0001", "备案日期": "2019-03-01", "地址": "莆田市涵江区涵东街道新开路1号",
           "县区": "涵江区", "乡镇街道": "涵东街道", "网格": "涵东第二网格", "经度": 119.121, "纬度": 25.461,
           "状态": "正常经营", "安检机数量": 1}
    row.update(kw)
    return row


def upload(client, kind, file):
    response = client.post(reverse("registry:import_upload", args=[kind]), {"file": file})
    return response


def test_template_downloads_with_chinese_headers(client, cast):
    client.force_login(cast.city_officer)
    response = client.get(reverse("registry:import_template", args=["sites"]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in ws[1]] == SITE_HEADERS
    assert client.get(reverse("registry:import_template", args=["bogus"])).status_code == 404


def test_import_pages_need_the_import_permission(client, cast):
    client.force_login(cast.hanjiang_grid)
    assert client.get(reverse("registry:import_upload", args=["sites"])).status_code == 403
    assert client.get(reverse("registry:import_template", args=["sites"])).status_code == 403


def test_every_bad_row_is_listed_with_its_reason_and_nothing_is_saved(client, cast):
    client.force_login(cast.hanjiang_officer)
    rows = [
        site_row(cast),  # fine
        site_row(cast, 网点名称="坏代码营业部", 备案编号="IMP-0002", 运营企业统一社会信用代码="91350303000000000X"),
        site_row(cast, 网点名称="未知县区营业部", 备案编号="IMP-0003", 县区="火星区"),
        site_row(cast, 网点名称="未知乡镇营业部", 备案编号="IMP-0004", 乡镇街道="不存在镇"),
        site_row(cast, 网点名称="重复备案营业部", 备案编号="IMP-0001"),
        site_row(cast, 网点名称="上海营业部", 备案编号="IMP-0005", 经度=121.47, 纬度=31.23),
        site_row(cast, 网点名称="", 备案编号="IMP-0006"),
        site_row(cast, 网点名称="越界营业部", 备案编号="IMP-0007", 县区="荔城区", 乡镇街道="镇海街道", 网格=""),
        site_row(cast, 网点名称="坏日期营业部", 备案编号="IMP-0008", 备案日期="昨天"),
    ]
    response = upload(client, "sites", xlsx(rows, SITE_HEADERS))
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    errors = {r["line"]: " ".join(r["errors"]) for r in batch.rows}
    assert errors[2] == ""
    assert "统一社会信用代码" in errors[3]
    assert "火星区" in errors[4]
    assert "不存在镇" in errors[5]
    assert "与第 2 行重复" in errors[6]
    assert "不在莆田市范围内" in errors[7]
    assert "网点名称为必填项" in errors[8]
    assert "不在您的管辖范围内" in errors[9]
    assert "不是有效日期" in errors[10]
    page = client.get(response.url).content.decode()
    assert page.count('data-testid="import-error-row"') == 8
    assert "确认导入" not in page
    # Committing anyway is refused and saves nothing.
    client.post(response.url, {"commit": "1"})
    assert not Site.objects.filter(filing_number__startswith="IMP-").exists()


def test_clean_import_commits_then_reimport_changes_nothing_then_edit_updates(client, cast):
    client.force_login(cast.hanjiang_officer)
    rows = [site_row(cast), site_row(cast, 网点名称="中通涵东第三营业部", 备案编号="IMP-0002", 网格="")]
    response = upload(client, "sites", xlsx(rows, SITE_HEADERS))
    preview = client.get(response.url).content.decode()
    assert "确认导入" in preview
    response = client.post(response.url, {"commit": "1"})
    assert response.status_code == 302
    site = Site.objects.get(filing_number="IMP-0001")
    assert site.jurisdiction == cast.handong_g2 and site.district == cast.hanjiang
    assert Site.objects.get(filing_number="IMP-0002").jurisdiction == cast.handong
    assert ChangeRecord.objects.filter(action=ChangeRecord.Action.IMPORT_CREATE).count() == 2

    # The same file again: nothing changes.
    response = upload(client, "sites", xlsx(rows, SITE_HEADERS))
    batch = ImportBatch.objects.latest("pk")
    assert {r["action"] for r in batch.rows} == {"unchanged"}
    client.post(response.url, {"commit": "1"})
    assert not ChangeRecord.objects.filter(action=ChangeRecord.Action.IMPORT_UPDATE).exists()

    # An edited file updates the matched row and records the version.
    rows[0]["地址"] = "莆田市涵江区涵东街道实际地址8号"
    response = upload(client, "sites", xlsx(rows, SITE_HEADERS))
    client.post(response.url, {"commit": "1"})
    site.refresh_from_db()
    assert site.address == "莆田市涵江区涵东街道实际地址8号"
    record = ChangeRecord.objects.get(action=ChangeRecord.Action.IMPORT_UPDATE)
    assert record.object_id == site.pk and record.changes["address"][1] == "莆田市涵江区涵东街道实际地址8号"


def test_export_then_reimport_is_a_no_op(client, cast):
    client.force_login(cast.city_officer)
    response = export(client, "sites")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in ws[1]] == SITE_HEADERS
    assert ws.max_row == 1 + Site.objects.count()
    upload(client, "sites", SimpleUploadedFile("export.xlsx", content))
    batch = ImportBatch.objects.latest("pk")
    assert [r["errors"] for r in batch.rows] == [[]] * 3
    assert {r["action"] for r in batch.rows} == {"unchanged"}


def test_filtered_export_contains_only_the_filtered_rows(client, cast):
    client.force_login(cast.city_officer)
    ws = export_sheet(client, "sites", district="350304")
    assert ws.max_row == 2 and ws.cell(row=2, column=1).value == "圆通镇海营业部"


def test_export_needs_the_export_permission(client, cast):
    client.force_login(cast.hanjiang_grid)
    assert export(client, "sites").status_code == 403


def test_enterprise_csv_in_gbk_imports(client, cast):
    client.force_login(cast.city_officer)
    code = credit_code("350304")
    text = ",".join(ENTERPRISE_HEADERS) + "\n" + f"莆田市荔城区韵达快递有限公司,{code},中通,闽邮20191234A,2029-01-01,张三,李四,13800000000,莆田市荔城区某路1号,荔城区,正常经营\n"
    response = upload(client, "enterprises", SimpleUploadedFile("企业.csv", text.encode("gb18030")))
    assert response.status_code == 302
    client.post(response.url, {"commit": "1"})
    assert Enterprise.objects.get(credit_code=code).jurisdiction == cast.licheng


def test_unreadable_files_get_a_clear_message(client, cast):
    client.force_login(cast.city_officer)
    cases = [
        (SimpleUploadedFile("a.xlsx", b"not a zip"), "无法读取该文件"),
        (SimpleUploadedFile("a.pdf", b"%PDF"), "请上传 .xlsx 或 .csv 文件"),
        (SimpleUploadedFile("a.csv", "名称\n".encode()), "缺少“网点名称”、“网点类型”"),
        (SimpleUploadedFile("a.csv", (",".join(SITE_HEADERS) + "\n").encode()), "没有数据行"),
    ]
    for file, message in cases:
        response = upload(client, "sites", file)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_someone_elses_import_batch_is_not_found(client, cast):
    client.force_login(cast.hanjiang_officer)
    response = upload(client, "sites", xlsx([site_row(cast)], SITE_HEADERS))
    client.force_login(cast.city_officer)
    assert client.get(response.url).status_code == 404


def test_discarding_an_import(client, cast):
    client.force_login(cast.hanjiang_officer)
    response = upload(client, "sites", xlsx([site_row(cast)], SITE_HEADERS))
    client.post(response.url, {"discard": "1"})
    assert ImportBatch.objects.get().state == ImportBatch.State.DISCARDED
    client.post(response.url, {"commit": "1"})
    assert not Site.objects.filter(filing_number="IMP-0001").exists()


def test_officer_export_masks_personal_data_unless_the_role_may_see_it(client, cast):
    client.force_login(cast.city_officer)
    ws = export_sheet(client, "officers")
    assert ws.cell(row=1, column=4).value == "身份证号码"
    assert "350303198001011234" in {ws.cell(row=r, column=4).value for r in range(2, ws.max_row + 1)}
    client.force_login(cast.hanjiang_grid)
    assert export(client, "officers").status_code == 403
