from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from parcelwatch.registry import services
from parcelwatch.registry.models import ChangeRecord, Enterprise, Site
from parcelwatch.registry.versioning import history


def _site_data(cast, **kw):
    data = {
        "kind": Site.Kind.OUTLET, "name": "中通涵东新营业部", "enterprise": cast.zto_hanjiang,
        "brand": cast.zto_hanjiang.brand, "filing_number": "NEW0001", "address": "莆田市涵江区涵东街道新路1号",
        "jurisdiction": cast.handong_g2, "lng": Decimal("119.12"), "lat": Decimal("25.46"),
        "status": Site.Status.OPERATING, "xray_count": 1,
    }
    data.update(kw)
    return data


def test_creating_a_site_derives_its_district_and_records_a_version(cast):
    site = services.create_site(actor=cast.hanjiang_officer, data=_site_data(cast))
    assert site.district == cast.hanjiang
    versions = history(site)
    assert len(versions) == 1 and versions[0]["record"].action == ChangeRecord.Action.CREATE
    assert versions[0]["record"].actor == cast.hanjiang_officer


def test_editing_a_site_records_field_level_before_and_after(cast):
    site = cast.hanjiang_outlet
    changed = services.update_site(
        site, actor=cast.city_officer, data={"address": "莆田市涵江区涵东街道新址路9号", "xray_count": 2}
    )
    assert changed
    record = ChangeRecord.objects.filter(object_id=site.pk, action=ChangeRecord.Action.UPDATE).get()
    assert record.changes == {
        "address": ["莆田市涵江区涵东街道涵华路88号", "莆田市涵江区涵东街道新址路9号"],
        "xray_count": ["0", "2"],
    }
    assert record.actor == cast.city_officer
    site.refresh_from_db()
    assert site.address == "莆田市涵江区涵东街道新址路9号"


def test_saving_without_changes_records_nothing(cast):
    site = cast.hanjiang_outlet
    assert services.update_site(site, actor=cast.city_officer, data={"address": site.address}) is False
    assert not ChangeRecord.objects.filter(object_id=site.pk, action=ChangeRecord.Action.UPDATE).exists()


def test_moving_a_site_to_another_district_updates_its_district(cast):
    services.update_site(cast.hanjiang_outlet, actor=cast.city_officer, data={"jurisdiction": cast.zhenhai_g1})
    cast.hanjiang_outlet.refresh_from_db()
    assert cast.hanjiang_outlet.district == cast.licheng


def test_a_district_officer_cannot_move_a_site_out_of_their_district(cast):
    with pytest.raises(ValidationError) as exc:
        services.update_site(cast.hanjiang_outlet, actor=cast.hanjiang_officer, data={"jurisdiction": cast.zhenhai_g1})
    assert "jurisdiction" in exc.value.error_dict
    cast.hanjiang_outlet.refresh_from_db()
    assert cast.hanjiang_outlet.district == cast.hanjiang


def test_a_district_officer_cannot_create_a_site_elsewhere(cast):
    with pytest.raises(ValidationError):
        services.create_site(actor=cast.licheng_officer, data=_site_data(cast))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lng": Decimal("121.5"), "lat": Decimal("31.2")}, "lng"),
        ({"lng": Decimal("119.1"), "lat": None}, "lng"),
        ({"jurisdiction": None}, "jurisdiction"),
    ],
)
def test_bad_site_data_is_refused_with_a_field_error(cast, changes, field):
    data = _site_data(cast, **changes)
    if data["jurisdiction"] is None:
        data["jurisdiction"] = cast.hanjiang  # a district, not a town or grid
    with pytest.raises(ValidationError) as exc:
        services.create_site(actor=cast.city_officer, data=data)
    assert field in exc.value.error_dict
    assert not Site.objects.filter(name="中通涵东新营业部").exists()


def test_duplicate_filing_numbers_are_refused(cast):
    data = _site_data(cast, filing_number=cast.licheng_outlet.filing_number)
    with pytest.raises(ValidationError) as exc:
        services.create_site(actor=cast.city_officer, data=data)
    assert "filing_number" in exc.value.error_dict


def test_enterprise_credit_code_is_validated(cast):
    data = {"name": "测试快递有限公司", "credit_code": "91350303000000001X", "jurisdiction": cast.hanjiang,
            "status": Enterprise.Status.OPERATING}
    with pytest.raises(ValidationError) as exc:
        services.create_enterprise(actor=cast.city_officer, data=data)
    assert "校验位" in str(exc.value.error_dict["credit_code"][0].message) or exc.value.error_dict["credit_code"]


def test_enterprise_edit_is_versioned(cast):
    services.update_enterprise(cast.zto_hanjiang, actor=cast.hanjiang_officer, data={"contact_phone": "0594-1234567"})
    record = ChangeRecord.objects.get(object_id=cast.zto_hanjiang.pk, action=ChangeRecord.Action.UPDATE)
    assert record.changes["contact_phone"] == ["", "0594-1234567"]


def test_officer_can_only_cover_own_enterprise_sites(cast):
    with pytest.raises(ValidationError):
        services.update_officer(
            cast.zto_officer, actor=cast.city_officer, data={"name": cast.zto_officer.name},
            sites=[cast.licheng_outlet],
        )


def test_officer_id_number_is_checked(cast):
    with pytest.raises(ValidationError) as exc:
        services.create_officer(
            actor=cast.hanjiang_officer,
            data={"enterprise": cast.zto_hanjiang, "name": "新安全员", "id_number": "12345", "phone": "13800000000"},
            sites=[],
        )
    assert "id_number" in exc.value.error_dict


def test_id_numbers_in_other_scripts_digits_are_refused_on_every_path(cast):
    """Arabic-Indic digits pass str.isdigit(): the registry and the self-inspection filing both refuse them."""
    from parcelwatch.selfcheck import services as selfcheck

    id_number = "٣٥٠٣٠٣١٩٩٠٠١٠١١٢٣X"
    for call in (
        lambda: services.create_officer(actor=cast.hanjiang_officer, sites=[], data={
            "enterprise": cast.zto_hanjiang, "name": "新安全员", "id_number": id_number, "phone": "13800000000"}),
        lambda: selfcheck.submit_filing(cast.zto_hanjiang, actor=cast.zto_safety, kind="new",
                                        sites=[cast.hanjiang_outlet], data={
                                            "name": "新安全员", "id_number": id_number, "phone": "13800000000"}),
    ):
        with pytest.raises(ValidationError) as exc:
            call()
        assert "id_number" in exc.value.error_dict


def test_licheng_officer_cannot_edit_hanjiang_officer_record(cast):
    with pytest.raises(ValidationError):
        services.update_officer(cast.zto_officer, actor=cast.licheng_officer, data={"phone": "13000000000"}, sites=[])
