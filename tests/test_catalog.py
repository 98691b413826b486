"""Catalogue: publication rules, accent-insensitive search, JSON export/import (exact, all or nothing)."""

import base64
import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from motcua import demo
from motcua.catalog.models import (
    FeeItem, Procedure, ProcedureVariant, ProcedureVersion, RequiredDocument, Sector, VersionStatus, WorkflowStep,
)
from motcua.catalog.services import (
    CatalogImportError, export_catalog, import_catalog, publish_version, published_version, retire_version,
    save_procedure, search_procedures,
)
from tests import factories

pytestmark = pytest.mark.django_db

DEMO = json.loads(demo.CATALOG_FILE.read_text(encoding="utf-8"))
DEMO_UNITS = [("000.00.12.H56", "Sở Tư pháp"), ("000.00.17.H56", "Sở Xây dựng"), ("000.00.10.H56", "Sở NN&MT"),
              ("000.00.18.H56", "Sở Y tế"), ("000.00.06.H56", "Sở Tài chính"), ("000.00.09.H56", "Sở Nội vụ")]


@pytest.fixture
def demo_units():
    return {identifier: factories.unit(name, identifier=identifier) for identifier, name in DEMO_UNITS}


def counts():
    return tuple(m.objects.count() for m in (Sector, Procedure, ProcedureVersion, ProcedureVariant,
                                               RequiredDocument, FeeItem, WorkflowStep))


def test_demo_catalogue_is_real_enough():
    procedures = DEMO["procedures"]
    assert len(procedures) >= 30
    assert len({p["sector"] for p in procedures}) >= 6
    assert len({p["code"] for p in procedures}) == len(procedures)
    assert {"1.001193", "2.000815", "1.001612"} <= {p["code"] for p in procedures}


def test_round_trip_is_exact(demo_units):
    import_catalog(DEMO)
    first = export_catalog()
    assert first == DEMO  # the shipped file is itself in canonical form
    import_catalog(first)  # importing again replaces each version with an identical one
    assert export_catalog() == first


def test_round_trip_keeps_template_files(demo_units):
    doc = copy.deepcopy(DEMO)
    content = "Tờ khai đăng ký khai sinh – mẫu".encode()
    doc["procedures"][0]["versions"][0]["variants"][0]["documents"][0]["template"] = {
        "name": "to-khai-khai-sinh.docx", "content_base64": base64.b64encode(content).decode()}
    import_catalog(doc)
    stored = RequiredDocument.objects.exclude(template="").get()
    assert stored.template.read() == content
    assert export_catalog() == doc


def test_search_folds_case_accents_and_d(demo_units):
    import_catalog(DEMO)
    assert list(search_procedures("dang ky khai sinh").values_list("code", flat=True))[:1] == ["1.001193"]
    assert search_procedures("ĐĂNG KÝ KHAI SINH").filter(code="1.001193").exists()
    assert search_procedures("cap giay phep xay dung").exists()
    assert not search_procedures("khong co thu tuc nay").exists()


def _broken(path_setter):
    doc = copy.deepcopy(DEMO)
    path_setter(doc)
    return doc


def _variant(doc, p=0, v=0, c=0):
    return doc["procedures"][p]["versions"][v]["variants"][c]


@pytest.mark.parametrize("breakage,expected", [
    (lambda d: d["procedures"][3].update(code="9.123456"), "$.procedures[3].code: Mã thủ tục “9.123456”"),
    (lambda d: d["procedures"][4].update(code=d["procedures"][0]["code"]), "xuất hiện hai lần"),
    (lambda d: _variant(d, 5)["steps"][0]["budget"].update(value="9"), "$.procedures[5].versions[0].variants[0].steps: Tổng thời gian"),
    (lambda d: _variant(d, 1)["fees"][0].update(formula="__import__('os')", amount=None), "chỉ được dùng số"),
    (lambda d: _variant(d, 2)["documents"][0].update(kind="photocopy"), "“photocopy” không hợp lệ"),
    (lambda d: d["procedures"][6].update(sector="KHONGCO"), "lĩnh vực “KHONGCO”"),
    (lambda d: d["procedures"][7].update(competent_unit="000.00.99.H56"), "không có đơn vị"),
    (lambda d: d["procedures"][8]["versions"].append(dict(d["procedures"][8]["versions"][0], number=2)),
     "cùng có hiệu lực trong một khoảng thời gian"),
    (lambda d: d["procedures"][9]["versions"][0].update(valid_from="1/7/2025"), "không phải ngày dạng YYYY-MM-DD"),
    (lambda d: d.update(format="other"), "không phải danh mục MotCua"),
])
def test_bad_import_names_the_problem_and_saves_nothing(demo_units, breakage, expected):
    before = counts()
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(_broken(breakage))
    assert any(expected in e for e in exc.value.errors), exc.value.errors
    assert counts() == before == (0, 0, 0, 0, 0, 0, 0)


def test_all_problems_are_reported_at_once(demo_units):
    def breakage(d):
        d["procedures"][0]["code"] = "x"
        d["procedures"][1]["level"] = "district"
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(_broken(breakage))
    assert any(e.startswith("$.procedures[0].code") for e in exc.value.errors)
    assert any(e.startswith("$.procedures[1].level") for e in exc.value.errors)


def test_import_overlapping_an_existing_published_version_rolls_back(demo_units):
    import_catalog(DEMO)
    before = counts()
    doc = {"format": "motcua-catalog", "format_version": 1, "sectors": [],
           "procedures": [dict(DEMO["procedures"][0], versions=[dict(DEMO["procedures"][0]["versions"][0], number=2)])]}
    with pytest.raises(CatalogImportError, match="phiên bản 1 và 2 cùng có hiệu lực"):
        import_catalog(doc)
    assert counts() == before


def test_publication_checks_budgets_and_overlap():
    unit = factories.unit()
    p = factories.procedure(competent_unit=unit, published=False)
    draft = p.versions.get()
    WorkflowStep.objects.filter(variant__version=draft, order=2).update(budget_value=Decimal("1"))
    with pytest.raises(ValidationError, match="Tổng thời gian các bước"):
        publish_version(draft)
    WorkflowStep.objects.filter(variant__version=draft, order=2).update(budget_value=Decimal("2.5"))
    publish_version(draft)
    second = ProcedureVersion.objects.create(procedure=p, number=2, valid_from=dt.date(2026, 1, 1),
                                             result_name="Quyết định")
    ProcedureVariant.objects.create(version=second, code="TH1", name="Chung", time_limit_value=1,
                                    time_limit_unit="working_days")
    WorkflowStep.objects.create(variant=second.variants.get(), order=1, name="Xử lý", role="specialist",
                                budget_value=1, budget_unit="working_days")
    with pytest.raises(ValidationError, match="trùng với phiên bản số 1"):
        publish_version(second)
    retire_version(draft, dt.date(2025, 12, 31))
    publish_version(second)
    assert published_version(p, dt.date(2025, 8, 1)) == draft  # retired, but it was the law then
    assert published_version(p, dt.date(2026, 2, 1)) == ProcedureVersion.objects.get(pk=second.pk)
    with pytest.raises(ValidationError, match="dự thảo"):
        publish_version(second)


def test_procedure_service_refuses_bad_code_and_missing_unit():
    with pytest.raises(ValidationError, match="không đúng định dạng"):
        save_procedure(Procedure(code="1.23", name="X", sector=factories.sector(), level="province",
                                 competent_unit=factories.unit()))
    with pytest.raises(ValidationError, match="phải có cơ quan có thẩm quyền"):
        save_procedure(Procedure(code="1.000777", name="X", sector=factories.sector(), level="province"))
    assert Procedure.objects.count() == 0


@pytest.mark.parametrize("fields", [
    {"amount": 1000, "formula": "pages * 1000"},
    {"amount": None, "formula": ""},
])
def test_database_enforces_amount_xor_formula(fields):
    p = factories.procedure(competent_unit=factories.unit())
    variant = ProcedureVariant.objects.get(version__procedure=p)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeItem.objects.create(variant=variant, order=9, kind="fee", name="x", **fields)


def test_database_refuses_non_positive_limits_and_budgets():
    p = factories.procedure(competent_unit=factories.unit())
    variant = ProcedureVariant.objects.get(version__procedure=p)
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkflowStep.objects.filter(variant=variant).update(budget_value=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureVariant.objects.filter(pk=variant.pk).update(time_limit_value=-1)
    assert VersionStatus.PUBLISHED == p.versions.get().status


BASE = {"format": "motcua-catalog", "format_version": 1, "sectors": [{"code": "HT", "name": "Hộ tịch"}],
        "procedures": [{"code": "1.000001", "name": "Khai sinh", "sector": "HT", "level": "province",
                        "competent_unit": "000.00.12.H56",
                        "versions": [{"number": 1, "status": "published", "valid_from": "2025-07-01",
                                      "applicant_kinds": ["citizen"], "result_name": "Giấy khai sinh",
                                      "result_type": "paper", "online_mode": "none",
                                      "variants": [{"code": "TH1", "name": "Chung",
                                                    "time_limit": {"value": "1", "unit": "working_days"},
                                                    "fees": [{"kind": "charge", "name": "Lệ phí", "amount": 0}],
                                                    "steps": [{"order": 1, "name": "Xử lý", "role": "specialist",
                                                               "budget": {"value": "1", "unit": "working_days"}}]}]}]}]}


def _base(mutate=None):
    doc = copy.deepcopy(BASE)
    if mutate:
        mutate(doc["procedures"][0], doc["procedures"][0]["versions"][0], doc["procedures"][0]["versions"][0]["variants"][0])
    return doc


@pytest.mark.parametrize("mutate,expected", [
    (lambda p, v, c: p.update(competent_unit=["x"]), "$.procedures[0].competent_unit: phải là chuỗi"),
    (lambda p, v, c: p.update(code=1001193), "$.procedures[0].code: phải là chuỗi"),
    (lambda p, v, c: v.update(number=[1]), "$.procedures[0].versions[0].number"),
    (lambda p, v, c: v.update(number=3_000_000_000), "số nguyên từ 1 đến"),
    (lambda p, v, c: c["fees"][0].update(amount=None, formula=5), "formula: phải là chuỗi"),
    (lambda p, v, c: c["fees"][0].update(amount=None, formula="+".join(["1"] * 300)), "dài quá 500"),
    (lambda p, v, c: c["fees"][0].update(amount=10**20), "amount: phải là số nguyên từ 0"),
    (lambda p, v, c: c["steps"][0].update(unit={}), "steps[0].unit: phải là chuỗi"),
    (lambda p, v, c: p.update(name="Đăng ký " * 62 + "khai sinh của công dân"), "name: dài quá 500"),
    (lambda p, v, c: p.update(competent_unit=None), "phải có cơ quan có thẩm quyền"),
    (lambda p, v, c: c.update(documents=[{"name": "Tờ khai", "kind": "original",
                                          "template": {"name": "..", "content_base64": "UERG"}}]), "tên tệp mẫu"),
    (lambda p, v, c: c.update(documents=[{"name": "Tờ khai", "kind": "original",
                                          "template": {"name": "a/b.pdf", "content_base64": "UERG"}}]), "tên tệp mẫu"),
])
def test_wrongly_typed_or_oversized_import_is_a_clear_refusal(demo_units, mutate, expected):
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(_base(mutate))
    assert any(expected in e for e in exc.value.errors), exc.value.errors
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_a_published_version_is_not_replaced_by_import(demo_units):
    import_catalog(_base())
    import_catalog(_base())  # the same content again: accepted, nothing changes
    with pytest.raises(CatalogImportError, match="không thể thay thế"):
        import_catalog(_base(lambda p, v, c: v.update(status="draft", result_name="Khác")))
    assert ProcedureVersion.objects.get().result_name == "Giấy khai sinh"


def test_failed_import_leaves_no_template_files(demo_units, settings):
    import os

    import_catalog(_base())
    doc = _base(lambda p, v, c: (v.update(number=2), c.update(documents=[{"name": "Tờ khai", "kind": "original",
                                 "template": {"name": "mau.pdf", "content_base64": "UERG"}}])))
    with pytest.raises(CatalogImportError, match="cùng có hiệu lực"):
        import_catalog(doc)
    assert not any(files for _, _, files in os.walk(settings.MEDIA_ROOT))
