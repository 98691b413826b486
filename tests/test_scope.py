"""A staff user sees exactly the units under their roles — one SQL predicate, constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.accounts.models import Role, StaffMembership
from motcua.accounts.scope import scoped, visible_units
from motcua.catalog.models import Level, Procedure
from motcua.org.models import OrgUnit
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return factories.province_tree()


def test_visible_units_are_the_subtrees_of_the_users_roles(tree):
    specialist = factories.staff(tree["justice"])
    assert set(visible_units(specialist)) == {tree["justice"], tree["records"]}
    both = factories.staff(tree["records"])
    StaffMembership.objects.create(user=both, unit=tree["commune_a"], role=Role.LEADER)
    assert set(visible_units(both)) == {tree["records"], tree["commune_a"]}
    inspector = factories.staff(tree["province"], Role.INSPECTOR)
    assert visible_units(inspector).count() == OrgUnit.objects.count()


def test_revoked_role_and_inactive_user_see_nothing(tree):
    user = factories.staff(tree["commune_a"])
    StaffMembership.objects.filter(user=user).update(is_active=False)
    assert not visible_units(user).exists()
    other = factories.staff(tree["commune_b"])
    other.is_active = False
    assert not visible_units(other).exists()


def test_visibility_is_one_predicate_in_one_query(tree):
    user = factories.staff(tree["justice"])
    for unit in (tree["justice"], tree["records"], tree["construction"], tree["commune_a"]):
        for _ in range(3):
            factories.procedure(competent_unit=unit)
    with CaptureQueriesContext(connection) as ctx:
        codes = list(scoped(Procedure.objects.all(), user, "competent_unit").values_list("code", flat=True))
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"].upper()
    assert "EXISTS" in sql and "LIKE" in sql
    assert len(codes) == 6


def test_user_never_sees_another_units_records(tree):
    """Every unit's officer, over every list: nothing outside their subtree, ever."""
    procedures = {key: factories.procedure(competent_unit=unit) for key, unit in tree.items()}
    officers = {key: factories.staff(unit) for key, unit in tree.items()}
    for key, officer in officers.items():
        mine = set(OrgUnit.objects.filter(path__startswith=tree[key].path))
        assert set(visible_units(officer)) == mine
        seen = set(scoped(Procedure.objects.all(), officer, "competent_unit"))
        assert seen == {p for p in procedures.values() if p.competent_unit in mine}
        members = set(scoped(StaffMembership.objects.all(), officer, "unit").values_list("user_id", flat=True))
        assert members == {o.pk for k, o in officers.items() if tree[k] in mine}


def test_commune_level_procedures_are_shared_when_asked(tree):
    shared = factories.procedure(level=Level.COMMUNE)
    officer = factories.staff(tree["commune_a"])
    assert shared not in scoped(Procedure.objects.all(), officer, "competent_unit")
    assert shared in scoped(Procedure.objects.all(), officer, "competent_unit", include_unassigned=True)


def _admin_list(client, user, url):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_admin_lists_are_scoped_and_their_query_count_does_not_grow_with_rows(client, tree):
    admin_justice = factories.staff(tree["justice"], Role.UNIT_ADMIN, username="quantri.tp")
    factories.staff(tree["records"], username="chuyenvien.ht")
    factories.staff(tree["construction"], username="chuyenvien.xd")
    factories.procedure(code="1.000001", competent_unit=tree["construction"], name="Thủ tục của Sở Xây dựng")
    for _ in range(3):
        factories.procedure(competent_unit=tree["records"])
    html, few = _admin_list(client, admin_justice, "/admin/catalog/procedure/")
    assert "Thủ tục của Sở Xây dựng" not in html and "1.000001" not in html
    for _ in range(25):
        factories.procedure(competent_unit=tree["justice"])
    html, many = _admin_list(client, admin_justice, "/admin/catalog/procedure/")
    expected = scoped(Procedure.objects.all(), admin_justice, "competent_unit").values_list("code", flat=True)
    assert len(expected) == 28 and all(code in html for code in expected)
    assert many == few, f"{few} queries for 3 rows but {many} for 28"

    html, _ = _admin_list(client, admin_justice, "/admin/accounts/user/")
    assert "chuyenvien.ht" in html and "chuyenvien.xd" not in html
    html, _ = _admin_list(client, admin_justice, "/admin/org/orgunit/")
    assert "Phòng Hộ tịch" in html and "Sở Xây dựng" not in html and "UBND xã A" not in html


def test_another_units_record_cannot_be_opened_in_the_admin(client, tree):
    admin_commune = factories.staff(tree["commune_a"], Role.UNIT_ADMIN)
    foreign = factories.procedure(competent_unit=tree["justice"])
    client.force_login(admin_commune)
    response = client.get(f"/admin/catalog/procedure/{foreign.pk}/change/")
    assert response.status_code == 302 and response.url == "/admin/"  # "does not exist" for this user
    response = client.get(f"/admin/org/orgunit/{tree['commune_b'].pk}/change/")
    assert response.status_code == 302
    response = client.get(f"/admin/org/orgunit/{tree['commune_a'].pk}/change/")
    assert response.status_code == 200
