"""The editable calendars: seeded national schedules, agency calendars, edits taking effect."""

import datetime as dt

import pytest

from motcua.accounts.models import Role
from motcua.calendar import TZ, Duration, civil_service
from motcua.org.models import OrgUnit
from motcua.worktime.models import CalendarDay, WorkCalendarConfig
from motcua.worktime.services import NATIONAL_CODES, calendar_for, calendar_of_unit
from tests import factories
from tests.test_admin import management

pytestmark = pytest.mark.django_db


def national():
    return WorkCalendarConfig.objects.get(code=NATIONAL_CODES["civil_service"])


def test_national_calendars_are_seeded_and_agree_with_the_shipped_data():
    assert national().days.count() > 50 and WorkCalendarConfig.objects.count() == 2
    from_db = calendar_for(national())
    for year in range(2020, 2027):
        for day in (dt.date(year, 1, 1) + dt.timedelta(days=k) for k in range(365)):
            assert from_db.is_working_day(day) == civil_service().is_working_day(day)


def test_an_edit_in_the_table_changes_the_deadlines():
    cal = calendar_for(national())
    start = dt.datetime(2027, 3, 1, 9, tzinfo=TZ)
    before = cal.due(start, Duration(2, "working_days"))
    CalendarDay.objects.create(calendar=national(), date=dt.date(2027, 3, 2), kind="day_off",
                               name="Nghỉ theo quyết định", document="QĐ thử nghiệm")
    after = calendar_for(national()).due(start, Duration(2, "working_days"))
    assert after == before + dt.timedelta(days=1)


def test_units_inherit_their_ancestors_calendar_and_may_have_their_own():
    tree = factories.province_tree()
    assert calendar_of_unit(tree["records"]).is_working_day(dt.date(2025, 3, 8)) is False
    desk = WorkCalendarConfig.objects.create(code="mot-cua-tu-phap", name="Một cửa Sở Tư pháp", parent=national(),
                                             saturday_hours="07:30-11:30")
    CalendarDay.objects.create(calendar=desk, date=dt.date(2025, 3, 5), kind="day_off", name="Nghỉ riêng",
                               document="QĐ 5/QĐ-STP")
    OrgUnit.objects.filter(pk=tree["justice"].pk).update(calendar=desk)
    records = OrgUnit.objects.get(pk=tree["records"].pk)
    own = calendar_of_unit(records)
    assert own.is_working_day(dt.date(2025, 3, 8)) and not own.is_working_day(dt.date(2025, 3, 5))
    assert not own.is_working_day(dt.date(2025, 1, 29))  # Tết, inherited
    assert calendar_of_unit(tree["commune_a"]).is_working_day(dt.date(2025, 3, 5))


@pytest.mark.parametrize("day,message", [
    ({"date": "2025-03-08", "kind": "day_off", "name": "x", "document": "QĐ 1"}, "ngày trong tuần"),
    ({"date": "2025-03-05", "kind": "working_day", "name": "x", "document": "QĐ 1"}, "thứ Bảy hoặc Chủ nhật"),
    ({"date": "2025-03-05", "kind": "day_off", "name": "x", "document": ""}, "bắt buộc"),
])
def test_admin_refuses_a_day_that_cannot_be_right(client, day, message):
    tree = factories.province_tree()
    client.force_login(factories.staff(tree["province"], Role.SYSTEM_ADMIN))
    config = national()
    count = config.days.count()
    data = {"code": config.code, "name": config.name, "base": config.base, "parent": "", "weekday_hours": "",
            "saturday_hours": "", **management("days", 1, 0)}
    data.update({f"days-0-{k}": v for k, v in day.items()})
    response = client.post(f"/admin/worktime/workcalendarconfig/{config.pk}/change/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert config.days.count() == count


def test_admin_refuses_bad_office_hours(client):
    tree = factories.province_tree()
    client.force_login(factories.staff(tree["province"], Role.SYSTEM_ADMIN))
    response = client.post("/admin/worktime/workcalendarconfig/add/", {
        "code": "x", "name": "X", "base": "civil_service", "parent": national().pk, "weekday_hours": "17:00-07:00",
        "saturday_hours": "", **management("days")})
    assert response.status_code == 200 and "bắt đầu trước" in response.content.decode()
    assert not WorkCalendarConfig.objects.filter(code="x").exists()
