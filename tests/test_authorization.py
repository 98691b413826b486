"""Who may change what through the admin: regressions for every hole a review found.

Each test posts what a browser — or a hand-made request — could send, and checks that nothing
outside the editor's reach changed."""

import datetime as dt

import pytest

from motcua.accounts.models import Role, StaffMembership, User
from motcua.catalog import services
from motcua.catalog.models import Procedure, ProcedureVariant, ProcedureVersion, Sector, VersionStatus
from motcua.org.models import Desk
from tests import factories
from tests.test_admin import management

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return factories.province_tree()


def test_unit_admin_cannot_adopt_a_superuser_nor_reset_their_password(client, tree):
    boss = User.objects.create_superuser("boss", "", "x-Secret-123")
    client.force_login(factories.staff(tree["commune_a"], Role.UNIT_ADMIN))
    response = client.post("/admin/accounts/staffmembership/add/",
                           {"user": boss.pk, "unit": tree["commune_a"].pk, "role": "clerk", "is_active": "on"})
    assert response.status_code == 200 and not StaffMembership.objects.filter(user=boss).exists()
    client.post(f"/admin/accounts/user/{boss.pk}/password/",
                {"password1": "Hijacked-pass-987", "password2": "Hijacked-pass-987", "usable_password": "true"})
    boss.refresh_from_db()
    assert boss.check_password("x-Secret-123")


def test_unit_admin_cannot_adopt_staff_of_another_unit(client, tree):
    other = factories.staff(tree["construction"], Role.SPECIALIST)
    client.force_login(factories.staff(tree["commune_a"], Role.UNIT_ADMIN))
    client.post("/admin/accounts/staffmembership/add/",
                {"user": other.pk, "unit": tree["commune_a"].pk, "role": "clerk", "is_active": "on"})
    assert other.memberships.count() == 1


def test_unit_admin_cannot_grant_administrator_roles(client, tree):
    admin_a = factories.staff(tree["commune_a"], Role.UNIT_ADMIN)
    clerk = factories.staff(tree["commune_a"], Role.CLERK)
    client.force_login(admin_a)
    for user, role in ((admin_a, "system_admin"), (clerk, "system_admin"), (clerk, "unit_admin")):
        response = client.post("/admin/accounts/staffmembership/add/",
                               {"user": user.pk, "unit": tree["commune_a"].pk, "role": role, "is_active": "on"})
        assert response.status_code == 200 and "không có quyền giao vai trò" in response.content.decode()
    assert not StaffMembership.objects.filter(role="system_admin").exists()
    assert not clerk.memberships.filter(role="unit_admin").exists()
    response = client.post("/admin/accounts/staffmembership/add/",
                           {"user": clerk.pk, "unit": tree["commune_a"].pk, "role": "leader", "is_active": "on"})
    assert response.status_code == 302  # roles below their own: yes


def test_user_serving_elsewhere_cannot_be_edited_deleted_or_reset(client, tree):
    admin_a = factories.staff(tree["commune_a"], Role.UNIT_ADMIN)
    leader = factories.staff(tree["province"], Role.LEADER)
    StaffMembership.objects.create(user=leader, unit=tree["commune_a"], role=Role.CLERK)
    moved = factories.staff(tree["commune_a"], Role.CLERK)
    StaffMembership.objects.filter(user=moved).update(is_active=False)
    StaffMembership.objects.create(user=moved, unit=tree["province"], role=Role.LEADER)
    client.force_login(admin_a)
    for user in (leader, moved):
        assert client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
        client.post(f"/admin/accounts/user/{user.pk}/password/",
                    {"password1": "Hijacked-pass-987", "password2": "Hijacked-pass-987", "usable_password": "true"})
        user.refresh_from_db()
        assert not user.check_password("Hijacked-pass-987")
    assert User.objects.filter(pk__in=[leader.pk, moved.pk]).count() == 2


def test_roles_do_not_combine_across_units(client, tree):
    """Administrator of commune A plus read-only inspector of the province: edits commune A only."""
    theirs = factories.procedure(competent_unit=tree["construction"])
    user = factories.staff(tree["commune_a"], Role.UNIT_ADMIN)
    StaffMembership.objects.create(user=user, unit=tree["province"], role=Role.INSPECTOR)
    leader = factories.staff(tree["construction"], Role.LEADER)
    client.force_login(user)
    html = client.get(f"/admin/catalog/procedure/{theirs.pk}/change/").content.decode()
    assert 'name="_save"' not in html  # visible to the inspector, not editable by the admin
    client.post(f"/admin/accounts/user/{leader.pk}/password/",
                {"password1": "Hijacked-pass-987", "password2": "Hijacked-pass-987", "usable_password": "true"})
    leader.refresh_from_db()
    assert not leader.check_password("Hijacked-pass-987")
    shared = factories.procedure(level="commune")
    assert 'name="_save"' not in client.get(f"/admin/catalog/procedure/{shared.pk}/change/").content.decode()


def test_view_only_roles_cannot_run_actions(client, tree):
    version = factories.procedure(competent_unit=tree["justice"], published=False).versions.get()
    client.force_login(factories.staff(tree["justice"], Role.CLERK))
    client.post("/admin/catalog/procedureversion/", {"action": "publish", "_selected_action": [version.pk]})
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_commune_admin_cannot_publish_or_create_shared_procedures(client, tree):
    version = factories.procedure(level="commune", published=False).versions.get()
    client.force_login(factories.staff(tree["commune_a"], Role.UNIT_ADMIN))
    client.post("/admin/catalog/procedureversion/", {"action": "publish", "_selected_action": [version.pk]})
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    response = client.post("/admin/catalog/procedure/add/", {
        "code": "1.009999", "name": "Thủ tục chung", "sector": factories.sector().pk, "level": "commune",
        "competent_unit": "", **management("versions")})
    assert response.status_code == 200 and "không có quyền" in response.content.decode()
    assert not Procedure.objects.filter(code="1.009999").exists()


def test_records_cannot_be_moved_into_another_units_procedure(client, tree):
    mine = factories.procedure(competent_unit=tree["commune_a"], published=False)
    theirs = factories.procedure(competent_unit=tree["commune_b"], published=False)
    client.force_login(factories.staff(tree["commune_a"], Role.UNIT_ADMIN))
    data = {"procedure": theirs.pk, "number": 7, "valid_from": "2030-01-01", "valid_to": "", "publication_decision": "",
            "for_citizens": "on", "result_name": "X", "result_type": "paper", "online_mode": "none",
            **management("legal_bases"), **management("variants")}
    assert client.post("/admin/catalog/procedureversion/add/", data).status_code == 200
    assert not theirs.versions.filter(number=7).exists()
    variant = ProcedureVariant.objects.get(version__procedure=mine)
    client.post(f"/admin/catalog/procedurevariant/{variant.pk}/change/", {
        "version": theirs.versions.get().pk, "order": 2, "code": "TH9", "name": "Chen", "time_limit_value": "3",
        "time_limit_unit": "working_days", "online_time_limit_value": "", "online_time_limit_unit": "",
        **management("documents"), **management("fees"), **management("steps")})
    variant.refresh_from_db()
    assert variant.version.procedure == mine


def test_commune_admin_cannot_edit_national_sectors(client, tree):
    sector = factories.sector()
    client.force_login(factories.staff(tree["commune_a"], Role.UNIT_ADMIN))
    client.post(f"/admin/catalog/sector/{sector.pk}/change/", {"code": "HOTICH", "name": "Bị đổi"})
    assert Sector.objects.get(pk=sector.pk).name == "Hộ tịch"


def _unit_post(unit, **overrides):
    records = list(unit.code_history.all())
    data = {"name": unit.name, "short_name": "", "kind": unit.kind, "parent": unit.parent_id or "",
            "identifier": unit.identifier, "admin_unit_code": "", "valid_from": "", "valid_to": "",
            **management("code_history", len(records), len(records))}
    for i, record in enumerate(records):
        data.update({f"code_history-{i}-id": record.pk, f"code_history-{i}-unit": unit.pk})
    data.update(overrides)
    return data


def test_unit_admin_edits_own_unit_without_losing_its_parent(client, tree):
    unit = tree["commune_a"]
    client.force_login(factories.staff(unit, Role.UNIT_ADMIN))
    response = client.post(f"/admin/org/orgunit/{unit.pk}/change/", _unit_post(unit, name="UBND xã A mới", parent=""))
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "UBND xã A mới" and unit.parent == tree["province"]


def test_desk_keeps_the_units_it_serves_beyond_the_editors_reach(client, tree):
    centre = factories.unit("TTPVHCC", tree["province"], kind="service_centre")
    desk = Desk.objects.create(name="Quầy", host_unit=centre)
    desk.serves.set([tree["justice"], tree["construction"]])
    client.force_login(factories.staff(centre, Role.UNIT_ADMIN))
    response = client.post(f"/admin/org/desk/{desk.pk}/change/",
                           {"name": "Quầy 2", "host_unit": centre.pk, "address": "", "is_active": "on", "serves": []})
    assert response.status_code == 302
    assert set(desk.serves.all()) == {tree["justice"], tree["construction"]}


def test_new_staff_account_comes_with_a_role_in_reach(client, tree):
    client.force_login(factories.staff(tree["commune_a"], Role.UNIT_ADMIN))
    base = {"username": "moi", "full_name": "Cán bộ mới", "password1": "Abc-12345-xyz", "password2": "Abc-12345-xyz",
            "usable_password": "true"}
    response = client.post("/admin/accounts/user/add/", base)
    assert response.status_code == 200 and not User.objects.filter(username="moi").exists()
    response = client.post("/admin/accounts/user/add/", {**base, "unit": tree["commune_b"].pk, "role": "clerk"})
    assert response.status_code == 200 and not User.objects.filter(username="moi").exists()
    response = client.post("/admin/accounts/user/add/", {**base, "unit": tree["commune_a"].pk, "role": "clerk"})
    assert response.status_code == 302
    assert User.objects.get(username="moi").memberships.get().unit == tree["commune_a"]


def test_retire_only_shortens_a_published_version_and_history_stays_true(tree):
    p = factories.procedure(competent_unit=tree["justice"])
    v1 = p.versions.get()
    ProcedureVersion.objects.filter(pk=v1.pk).update(valid_to=dt.date(2025, 12, 31))
    with pytest.raises(Exception, match="thời gian hiệu lực"):
        services.retire_version(v1, dt.date(2026, 11, 21))
    services.retire_version(v1, dt.date(2025, 9, 30))
    assert services.published_version(p, dt.date(2025, 9, 1)).pk == v1.pk
    assert services.published_version(p, dt.date(2025, 10, 1)) is None
    draft = factories.procedure(competent_unit=tree["justice"], published=False).versions.get()
    with pytest.raises(Exception, match="đang công khai"):
        services.retire_version(draft, dt.date(2026, 11, 21))
