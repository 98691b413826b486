"""The admin, in Vietnamese: bad input shows the service's message and saves nothing."""

import pytest

from motcua.accounts.models import Applicant, Role
from motcua.catalog.models import Procedure, ProcedureVariant, WorkflowStep
from motcua.org.models import OrgUnit
from tests import factories

pytestmark = pytest.mark.django_db


def management(prefix, total=0, initial=0):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


@pytest.fixture
def tree():
    return factories.province_tree()


@pytest.fixture
def sysadmin(client, tree):
    user = factories.staff(tree["province"], Role.SYSTEM_ADMIN, username="quantri")
    client.force_login(user)
    return user


def test_admin_speaks_vietnamese(client, sysadmin):
    html = client.get("/admin/").content.decode()
    assert "Danh mục thủ tục hành chính" in html and "Tổ chức bộ máy" in html and "Thoát" in html


def test_new_procedure_with_bad_code_is_refused(client, sysadmin, tree):
    data = {"code": "1.23", "name": "Thủ tục mới", "sector": factories.sector().pk, "level": "province",
            "competent_unit": tree["justice"].pk, **management("versions")}
    response = client.post("/admin/catalog/procedure/add/", data)
    assert response.status_code == 200
    assert "không đúng định dạng" in response.content.decode()
    assert not Procedure.objects.exists()
    data["code"] = "1.000123"
    response = client.post("/admin/catalog/procedure/add/", data)
    assert response.status_code == 302
    assert Procedure.objects.get().search_key == "1.000123 thu tuc moi"


def _variant_post(variant, steps):
    data = {"version": variant.version_id, "order": 1, "code": variant.code, "name": variant.name,
            "time_limit_value": "3", "time_limit_unit": "working_days", "online_time_limit_value": "",
            "online_time_limit_unit": "", "supplement_rule": "restart", "paper_cutoff": "15:00",
            **management("documents"), **management("fees"),
            **management("steps", len(steps), len(steps))}
    for i, (step, value, unit) in enumerate(steps):
        data.update({f"steps-{i}-id": step.pk, f"steps-{i}-variant": variant.pk, f"steps-{i}-order": step.order,
                     f"steps-{i}-name": step.name, f"steps-{i}-role": step.role, f"steps-{i}-unit": "",
                     f"steps-{i}-budget_value": value, f"steps-{i}-budget_unit": unit})
    return data


def test_workflow_budgets_that_do_not_add_up_are_refused(client, sysadmin, tree):
    p = factories.procedure(competent_unit=tree["justice"], days="3", published=False)
    variant = ProcedureVariant.objects.get(version__procedure=p)
    steps = list(variant.steps.order_by("order"))
    url = f"/admin/catalog/procedurevariant/{variant.pk}/change/"
    response = client.post(url, _variant_post(variant, [(steps[0], "4", "working_hours"), (steps[1], "1", "working_days")]))
    assert response.status_code == 200
    assert "Tổng thời gian các bước (12 giờ làm việc) phải bằng thời hạn giải quyết" in response.content.decode()
    assert [s.budget_value for s in WorkflowStep.objects.filter(variant=variant).order_by("order")] == [0.5, 2.5]
    response = client.post(url, _variant_post(variant, [(steps[0], "4", "working_hours"), (steps[1], "2.5", "working_days")]))
    assert response.status_code == 302


def test_unit_with_invalid_identifier_is_refused(client, sysadmin, tree):
    before = OrgUnit.objects.count()
    response = client.post("/admin/org/orgunit/add/", {
        "name": "Sở Mới", "kind": "department", "parent": tree["province"].pk, "identifier": "so moi",
        "admin_unit_code": "", **management("code_history")})
    assert response.status_code == 200
    assert "QĐ 20/2020/QĐ-TTg" in response.content.decode()
    assert OrgUnit.objects.count() == before
    response = client.post("/admin/org/orgunit/add/", {
        "name": "Sở Mới", "kind": "department", "parent": tree["province"].pk, "identifier": "000.00.31.h99",
        "admin_unit_code": "", **management("code_history")})
    assert response.status_code == 302
    created = OrgUnit.objects.get(identifier="000.00.31.H99")
    assert created.path == f"{tree['province'].path}{created.pk}/" and created.code_history.count() == 1


@pytest.mark.parametrize("fields,message", [
    ({"kind": "citizen", "cccd": "12345"}, "12 chữ số"),
    ({"kind": "citizen", "cccd": "999090001234"}, "không phải mã tỉnh"),
    ({"kind": "organisation", "tax_code": "0100109107"}, "chữ số kiểm tra"),
])
def test_applicant_with_bad_identity_is_refused(client, sysadmin, fields, message):
    data = {"kind": "citizen", "full_name": "Nguyễn Văn A", "cccd": "", "tax_code": "", "address": "", "phone": "",
            "email": "", **fields}
    response = client.post("/admin/accounts/applicant/add/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Applicant.objects.exists()


def test_menu_and_permissions_follow_roles(client, tree):
    specialist = factories.staff(tree["justice"], Role.SPECIALIST)
    client.force_login(specialist)
    html = client.get("/admin/").content.decode()
    assert "Thủ tục hành chính" in html and "/admin/accounts/applicant/" in html
    assert "/admin/accounts/user/" not in html and "/admin/org/desk/add/" not in html
    assert client.get("/admin/catalog/procedure/add/").status_code == 403
    outsider = factories.staff(tree["justice"], Role.SPECIALIST)
    outsider.memberships.update(is_active=False)
    client.force_login(outsider)
    assert "Thủ tục hành chính" not in client.get("/admin/").content.decode()


def test_unit_admin_cannot_edit_shared_commune_procedures(client, tree):
    shared = factories.procedure(level="commune")
    commune_admin = factories.staff(tree["commune_a"], Role.UNIT_ADMIN)
    client.force_login(commune_admin)
    html = client.get(f"/admin/catalog/procedure/{shared.pk}/change/").content.decode()
    assert 'name="_save"' not in html  # shown read-only


def test_published_version_cannot_be_edited_or_deleted(client, sysadmin, tree):
    import datetime as dt

    from motcua.catalog.models import ProcedureVersion

    p = factories.procedure(competent_unit=tree["justice"])
    published = p.versions.get()
    data = {"procedure": p.pk, "number": 1, "valid_from": "2020-01-01", "valid_to": "", "publication_decision": "",
            "for_citizens": "on", "result_name": "Khác", "result_type": "paper", "online_mode": "none",
            **management("legal_bases"), **management("variants")}
    assert client.post(f"/admin/catalog/procedureversion/{published.pk}/change/", data).status_code == 403
    assert client.post(f"/admin/catalog/procedureversion/{published.pk}/delete/", {"post": "yes"}).status_code == 403
    variant = published.variants.get()
    assert client.get(f"/admin/catalog/procedurevariant/{variant.pk}/change/").status_code == 200  # view only
    assert 'name="_save"' not in client.get(f"/admin/catalog/procedurevariant/{variant.pk}/change/").content.decode()
    published.refresh_from_db()
    assert published.valid_from == dt.date(2025, 7, 1) and published.result_name == "Quyết định"
    assert ProcedureVersion.objects.filter(pk=published.pk).exists()


def test_publish_action_reports_why_it_refused(client, sysadmin, tree):
    from motcua.catalog.models import VersionStatus, WorkflowStep

    p = factories.procedure(competent_unit=tree["justice"], published=False)
    version = p.versions.get()
    WorkflowStep.objects.filter(variant__version=version, order=2).delete()
    response = client.post("/admin/catalog/procedureversion/", {"action": "publish", "_selected_action": [version.pk]},
                           follow=True)
    assert "Tổng thời gian các bước" in response.content.decode()
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
