"""Seed the two national calendars with the official schedules shipped in motcua/calendar/data."""

from django.db import migrations

CALENDARS = (
    ("civil_service", "quoc-gia-co-quan-nha-nuoc", "Lịch làm việc của cơ quan hành chính nhà nước"),
    ("business", "quoc-gia-doanh-nghiep", "Lịch làm việc của doanh nghiệp (Bộ luật Lao động)"),
)


def seed(apps, schema_editor):
    from motcua.calendar.schedule import official_days

    Config = apps.get_model("worktime", "WorkCalendarConfig")
    Day = apps.get_model("worktime", "CalendarDay")
    for base, code, name in CALENDARS:
        config, created = Config.objects.get_or_create(code=code, defaults={"name": name, "base": base})
        if created:
            Day.objects.bulk_create([Day(calendar=config, date=row.date, kind=row.kind, name=row.name[:500],
                                         document=row.document[:500]) for row in official_days(base)])


def unseed(apps, schema_editor):
    apps.get_model("worktime", "WorkCalendarConfig").objects.filter(code__in=[c for _, c, _ in CALENDARS]).delete()


class Migration(migrations.Migration):
    dependencies = [("worktime", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
