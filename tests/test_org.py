"""Organisation tree, code history, desks, and the national administrative-unit list."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from motcua.org.models import AdminUnit, AdminUnitDataset, OrgUnit, UnitCodeRecord, UnitKind
from motcua.org.services import (
    DEFAULT_ADMIN_UNITS_FILES, UnitData, change_unit_codes, create_unit, import_admin_units, subtree,
    unit_by_identifier, update_unit,
)
from tests import factories

pytestmark = pytest.mark.django_db


def test_tree_of_any_depth_and_subtree_is_one_prefix_query(django_assert_num_queries):
    t = factories.province_tree()
    deep = t["records"]
    for _ in range(5):
        deep = factories.unit(parent=deep, kind=UnitKind.DIVISION)
    assert deep.depth == 7
    with django_assert_num_queries(1):
        names = set(subtree(t["justice"]).values_list("name", flat=True))
    assert {"Sở Tư pháp", "Phòng Hộ tịch"} <= names and "Sở Xây dựng" not in names
    assert len(names) == 7


def test_move_reroots_the_whole_subtree():
    t = factories.province_tree()
    child = factories.unit("Tổ một cửa", t["records"], kind=UnitKind.DIVISION)
    update_unit(t["records"], UnitData(name="Phòng Hộ tịch", kind=UnitKind.DIVISION, identifier=t["records"].identifier,
                                       parent=t["construction"]))
    child.refresh_from_db()
    records = OrgUnit.objects.get(pk=t["records"].pk)
    assert records.path == f"{t['construction'].path}{records.pk}/" and records.depth == 2
    assert child.path == f"{records.path}{child.pk}/" and child.depth == 3
    assert child in subtree(t["construction"]) and child not in subtree(t["justice"])


def test_cannot_move_under_itself():
    t = factories.province_tree()
    with pytest.raises(ValidationError) as exc:
        update_unit(t["justice"], UnitData(name="Sở Tư pháp", kind=UnitKind.DEPARTMENT,
                                           identifier=t["justice"].identifier, parent=t["records"]))
    assert "cấp dưới" in str(exc.value)


def test_invalid_or_duplicate_identifier_saves_nothing():
    t = factories.province_tree()
    before = OrgUnit.objects.count()
    with pytest.raises(ValidationError) as exc:
        create_unit(UnitData(name="Sở X", kind=UnitKind.DEPARTMENT, identifier="abc..def", parent=t["province"]))
    assert "QĐ 20/2020" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        create_unit(UnitData(name="Sở Y", kind=UnitKind.DEPARTMENT, identifier=t["justice"].identifier.lower()))
    assert "đã được dùng" in str(exc.value)
    with pytest.raises(ValidationError, match="2 chữ số"):
        create_unit(UnitData(name="Sở Z", kind=UnitKind.DEPARTMENT, identifier="000.00.77.H99", admin_unit_code="123"))
    assert OrgUnit.objects.count() == before
    assert UnitCodeRecord.objects.count() == before


def test_database_refuses_duplicate_identifier_even_without_the_service():
    factories.unit(identifier="000.00.55.H99")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrgUnit.objects.create(name="x", kind=UnitKind.OTHER, path="/x/", identifier="000.00.55.H99")


def test_code_history_resolves_old_codes_on_their_dates():
    unit = factories.unit("UBND phường Điện Biên", kind=UnitKind.COMMUNE, identifier="000.01.11.H56",
                          valid_from=dt.date(2020, 1, 1))
    change_unit_codes(unit, "000.20.01.H56", "14797", dt.date(2025, 7, 1), "QĐ 19/2025/QĐ-TTg")
    history = list(unit.code_history.order_by("valid_from").values_list("identifier", "valid_from", "valid_to"))
    assert history == [("000.01.11.H56", dt.date(2020, 1, 1), dt.date(2025, 6, 30)),
                       ("000.20.01.H56", dt.date(2025, 7, 1), None)]
    assert unit_by_identifier("000.01.11.H56", on=dt.date(2024, 5, 1)) == unit
    assert unit_by_identifier("000.01.11.H56", on=dt.date(2025, 7, 1)) is None
    assert unit_by_identifier("000.20.01.H56") == unit
    with pytest.raises(ValidationError, match="không được trước"):
        change_unit_codes(unit, "000.20.09.H56", "14797", dt.date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():  # only one open period per unit
        UnitCodeRecord.objects.create(unit=unit, identifier="X01")


def test_admin_unit_list_loads_34_provinces_and_3321_communes_with_its_version():
    results = [import_admin_units(path) for path in DEFAULT_ADMIN_UNITS_FILES]
    assert all(created for _, created in results)
    current = AdminUnit.objects.filter(valid_from=dt.date(2025, 7, 1))
    assert current.filter(kind__in=["province", "city"]).count() == 34
    assert current.exclude(kind__in=["province", "city"]).count() == 3321
    assert current.filter(province_code="38").exclude(code="38").count() == 166
    assert current.get(code="31078").kind == "special_zone"  # Đặc khu Phú Quốc
    old = AdminUnit.objects.filter(valid_to=dt.date(2025, 6, 30))
    assert old.count() == 63 and old.get(code="37").successor_code == "37" and old.get(code="35").successor_code == "37"
    dataset = results[1][0]
    assert dataset.decision == "QĐ 19/2025/QĐ-TTg" and dataset.data_version and len(dataset.sha256) == 64
    # The same file again is recognised and not loaded twice.
    again, created = import_admin_units(DEFAULT_ADMIN_UNITS_FILES[1])
    assert not created and again == dataset and AdminUnit.objects.count() == 3321 + 34 + 63


@pytest.mark.parametrize("mutate,fragment", [
    (lambda d: d["communes"].append(dict(d["communes"][0])), "bị trùng"),
    (lambda d: d["communes"].append({"code": "99999", "name": "Xã Ma", "kind": "commune", "province": "77"}), "mã tỉnh 77"),
    (lambda d: d["provinces"].append({"code": "1", "name": "Tỉnh", "kind": "province"}), "2 chữ số"),
    (lambda d: d.update(valid_from="01/07/2025"), "YYYY-MM-DD"),
])
def test_bad_admin_unit_file_loads_nothing(tmp_path, mutate, fragment):
    doc = json.loads(DEFAULT_ADMIN_UNITS_FILES[1].read_text(encoding="utf-8"))
    mutate(doc)
    path = tmp_path / "units.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValidationError, match=fragment):
        import_admin_units(path)
    assert AdminUnit.objects.count() == 0 and AdminUnitDataset.objects.count() == 0


def test_admin_unit_code_checked_against_the_loaded_list():
    import_admin_units(DEFAULT_ADMIN_UNITS_FILES[1])
    factories.unit(admin_unit_code="14797")
    with pytest.raises(ValidationError, match="không có trong danh mục"):
        factories.unit(admin_unit_code="99999")


def test_codes_are_recorded_when_they_take_effect_and_admin_edits_never_crash(client):
    from motcua.accounts.models import Role
    from tests.test_authorization import _unit_post

    t = factories.province_tree()
    with pytest.raises(ValidationError, match="tương lai"):
        change_unit_codes(t["justice"], "000.00.77.H99", "", dt.date(2099, 1, 1))
    future = factories.unit("Sở sắp thành lập", t["province"], valid_from=dt.date(2099, 1, 1))
    client.force_login(factories.staff(t["province"], Role.SYSTEM_ADMIN))
    response = client.post(f"/admin/org/orgunit/{future.pk}/change/",
                           _unit_post(future, identifier="000.00.78.H99", valid_from="2099-01-01"))
    assert response.status_code == 302  # a period that has not begun is simply corrected
    future.refresh_from_db()
    assert future.identifier == "000.00.78.H99" and future.code_history.get().identifier == "000.00.78.H99"


@pytest.mark.parametrize("doc", [
    {"decision": "x", "provinces": "38"},
    {"decision": "x", "provinces": [["38"]]},
    {"decision": 5, "provinces": [{"code": "38", "name": "T", "kind": "province"}]},
    ["not", "an", "object"],
])
def test_malformed_admin_unit_file_is_a_clear_error(tmp_path, doc):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "units.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("admin_units", "import", str(path))
    assert AdminUnit.objects.count() == 0
