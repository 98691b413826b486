"""`motcua report --verify`: Biểu 06 from the ledger events alone agrees with the tables.

- Over generated history (2,000 dossiers, eight months): every month and a quarter, the per-dossier
  facts of the two readings are equal, and the two reports agree cell by cell ("khớp", exit 0) —
  each month in another grouping, granularity or due instant.
- A dossier lived through the services where the due instant moves after the period (a supplement
  requested after the period's end restarts the clock; another dossier's apology comes after it):
  both readings classify the period with the due instant in force at its end.
- A dossier row edited directly in the database: --verify names the cells, the values and the
  dossier, exit 1; a stored fact left behind by an edit (the timeliness code after a due instant, the
  supplement pair after a request's completion) is named too. Bad input is still refused with exit 2.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db.models import F

import factories
from reports_support import MONTHS, generate_history, months, run_command
from motcua.calendar import TZ, Duration
from motcua.dossiers import report_facts
from motcua.dossiers import services as s
from motcua.dossiers.files import Upload
from motcua.dossiers.models import Dossier, DossierDocument, Extension, SupplementRequest
from motcua.feedback.models import Evaluation, Feedback, FeedbackKind
from motcua.reports import from_ledger, queries
from motcua.reports.bieu06 import Period, Policy
from motcua.reports.verify import TOTAL, stale_facts, verify

DOSSIERS = 2000
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def report(*args) -> tuple[int, str, str]:
    return run_command("report", *args)


@pytest.fixture
def history(db):
    generate_history(DOSSIERS, seed=5)


def as_known_at_end(f, period: Period):
    """The facts as they stood at the period's end: the tables know what happened later too (an end,
    a payment, a withdrawal), the replay stops at the end; whether a finished dossier was waiting
    for a supplement, or an open one withdrawn, counts nowhere."""
    later = lambda moment: None if moment is None or moment >= period.ends else moment  # noqa: E731
    finished = later(f.finished_at)
    return dataclasses.replace(f, finished_at=finished, paid_online_at=later(f.paid_online_at),
                               withdrawn=f.withdrawn and finished is not None,
                               awaiting_supplement=f.awaiting_supplement and finished is None)


def test_the_ledger_agrees_with_the_tables_on_generated_history(history):
    periods = months(dt.date(2025, 11, 1), MONTHS) + [Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))]
    combinations = [(policy, by) for policy in (Policy("date"), Policy("instant"), Policy("date", "original"))
                    for by in queries.GROUPINGS]
    apologised_after = 0
    for period in periods:
        table = {pk: as_known_at_end(f, period) for pk, _, f in queries.dossier_facts(period, queries.Scope(), "unit")}
        ledger = {pk: as_known_at_end(f, period)
                  for pk, _, f in from_ledger.dossier_facts(period, queries.Scope(), "unit")}
        assert table == ledger, period
        apologised_after += Extension.objects.filter(dossier_id__in=table, requested_at__gte=period.ends).count()
        # The whole check (both reports, cell by cell) in a different policy and grouping each month.
        policy, by = combinations[periods.index(period) % len(combinations)]
        assert verify(period, policy, by=by) == [], (period, policy, by)
    assert apologised_after > 0   # open at some month's end, apologised in a later month
    code, out, err = report("--from", "2026-01-01", "--to", "2026-03-31", "--by", "unit", "--verify")
    assert (code, out.strip(), err) == (0, "khớp", "")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 9, day, hour, minute, tzinfo=TZ)


@pytest.mark.django_db
def test_a_due_instant_moved_after_the_period_does_not_change_it():
    """A one-day procedure received on Monday 15/9 is due Tuesday 16/9: over its deadline when the
    period 1–17/9 closes. On Thursday 18/9 a supplement is asked (within 3 working days of receipt)
    and on Friday the clock restarts: the due instant is now 22/9, yet the period stays "over".
    A five-day dossier apologised on 18/9 keeps its receipt's date (22/9) for that period."""
    w = factories.dossier_world(supplement_rule="restart", fee=0)
    one_day = factories.procedure(competent_unit=w.tree["justice"], days="1").versions.get().variants.get()
    one_day.supplement_rule = "restart"
    one_day.save(update_fields=["supplement_rule"])
    short = s.register_at_desk(w.receptionist, w.desk, w.applicant, one_day, documents=[Upload("Tờ khai")],
                               at=at(15, 9))
    short = s.accept(short, w.receptionist, at=at(15, 9, 30))
    assert short.due_at == at(16, 9, 30)
    short = s.forward(short, w.receptionist, at=at(15, 10))
    short = s.request_supplement(short, w.specialist, items=["Bản sao"], reason="Thiếu bản sao", at=at(18, 9))
    short = s.record_supplement(short, w.receptionist, at=at(19, 9))
    assert short.due_at == at(22, 9)

    upload = [Upload("Đơn đề nghị", required_id=w.variant.documents.get(order=1).pk, file_name="don.pdf", content=PDF)]
    late = s.accept(s.submit_online(w.applicant, w.variant, actor=w.citizen, documents=upload, at=at(15, 9)),
                    w.receptionist, at=at(15, 9, 30))
    late = s.forward(late, w.receptionist, at=at(15, 10))
    late = s.apologise(late, w.leader, reason="Chờ xác minh", extension=Duration(3, "working_days"), at=at(18, 10))
    assert late.original_due_at == at(22, 9, 30) and late.due_at == at(25, 9, 30)

    september = Period(dt.date(2025, 9, 1), dt.date(2025, 9, 17))
    for policy in (Policy("date"), Policy("instant")):
        table = queries.bieu06(september, policy, by="unit")
        assert (table.total.received, table.total.in_progress_over, table.total.in_progress_within) == (2, 1, 1)
        assert verify(september, policy, by="unit") == []
    facts = {pk: f for pk, _, f in queries.dossier_facts(september, queries.Scope(), "unit")}
    assert facts[short.pk].due_at == at(16, 9, 30) and facts[late.pk].due_at == at(22, 9, 30)
    # The next period sees the new due instants: the restarted one is within, the apologised one too.
    after = queries.bieu06(Period(dt.date(2025, 9, 18), dt.date(2025, 9, 20)), Policy(), by="unit")
    assert (after.total.carried_over, after.total.in_progress_within, after.total.in_progress_over) == (2, 2, 0)
    code, out, _ = report("--from", "2025-09-01", "--to", "2025-09-17", "--verify")
    assert (code, out.strip()) == (0, "khớp")


def test_a_row_edited_behind_the_ledger_is_named_with_its_cells(history):
    period = Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    target = (Dossier.objects.filter(received_at__gte=period.starts, received_at__lt=period.ends, channel="online",
                                     finished_at__lt=period.ends).order_by("pk").first())
    row = queries.bieu06(period, Policy(), by="unit")
    Dossier.objects.filter(pk=target.pk).update(channel="in_person")   # behind the services' back
    code, out, err = report("--from", "2026-02-01", "--to", "2026-02-28", "--by", "unit", "--verify")
    assert code == 1 and "không khớp: 4 ô lệch" in err
    unit = target.resolving_unit
    lines = out.strip().splitlines()
    assert len(lines) == 4
    online = [ln for ln in lines if "cột 4:" in ln]
    assert len(online) == 2 and all(target.code in ln for ln in lines)
    before = next(r for r in row.rows if r.key[0] == unit.identifier).counts.received_online
    assert f"Dòng “{unit.identifier} – {unit.name}”, cột 4: theo bảng {before - 1}, theo sổ cái {before}." \
        in online[0]
    assert "Dòng “Tổng cộng”, cột 4" in online[1] and "cột 5" in "".join(lines)
    differences = verify(period, Policy(), by="unit")
    assert {(d.row == TOTAL, d.cell) for d in differences} == {
        (False, "received_online"), (False, "received_direct"), (True, "received_online"), (True, "received_direct")}
    assert all(d.dossiers == [target.code] for d in differences)

    # A due instant moved in the table (not through an apology): the report's numbers come from the
    # timeliness stored when the dossier finished, so they still match the ledger, but the stored fact
    # no longer matches the row — named, exit 1. Edited along with it, the numbers differ as well.
    other = (Dossier.objects.filter(finished_at__gte=period.starts, finished_at__lt=period.ends,
                                    state="returned").exclude(pk=target.pk).order_by("pk").first())
    Dossier.objects.filter(pk=other.pk).update(due_at=other.finished_at - dt.timedelta(days=30))
    assert stale_facts(period) == [other.code]
    code, out, err = report("--from", "2026-02-01", "--to", "2026-02-28", "--by", "unit", "--verify")
    assert code == 1 and "1 hồ sơ có dữ liệu tổng hợp lệch" in err
    assert f"không khớp với chính hồ sơ: {other.code}." in out
    other.refresh_from_db()
    report_facts.own_facts(other)   # timeliness, and 2.2's allowed seconds (to the due instant) as well
    Dossier.objects.filter(pk=other.pk).update(timeliness=other.timeliness, allowed_seconds=other.allowed_seconds)
    found = verify(period, Policy(), by="sector")
    assert any(other.code in d.dossiers and d.cell == "resolved_late" for d in found)
    assert stale_facts(period) == []

    # A supplement request's completion erased in its table: the stored request/completion pair (read
    # for "waiting for a supplement") no longer matches the requests — named; recomputed, clean again.
    request = (SupplementRequest.objects.filter(stage="processing", completed_at__isnull=False,
                                                dossier__in=queries.counted(period, queries.Scope()).values("pk"))
               .select_related("dossier").order_by("pk").first())
    SupplementRequest.objects.filter(pk=request.pk).update(completed_at=None)
    assert stale_facts(period) == [request.dossier.code]
    report_facts.refresh(request.dossier)
    assert request.dossier.supplemented_at is None and stale_facts(period) == []

    # The QĐ 766 facts (not read by Biểu 06): each edit behind the services' back names its dossier,
    # and recomputing the facts (report_facts.refresh) makes it clean again.
    counted = queries.counted(period, queries.Scope()).order_by("pk")
    lodged = (DossierDocument.objects.filter(dossier__in=counted.values("pk"), sha256__gt="")
              .exclude(stage="result").select_related("dossier").order_by("pk").first())
    DossierDocument.objects.filter(dossier_id=lodged.dossier_id).update(sha256="")   # the files were never scanned
    finished = counted.filter(elapsed_seconds__isnull=False).exclude(pk=lodged.dossier_id).first()
    Dossier.objects.filter(pk=finished.pk).update(elapsed_seconds=F("elapsed_seconds") - 1)
    rated, complained = counted.exclude(pk__in=[lodged.dossier_id, finished.pk])[:2]
    Evaluation.objects.create(dossier=rated, applicant_id=rated.applicant_id, unit_id=rated.resolving_unit_id,
                              criteria_set="TT01-2018", channel="online", i1=1, i3=1, i4=1, i7=1, satisfaction=1,
                              rated_at=rated.received_at)
    Feedback.objects.create(kind=FeedbackKind.CONDUCT, dossier=complained, applicant_id=complained.applicant_id,
                            sender_name="Người gửi", subject="Chậm",
                            content="Nội dung", unit_id=complained.resolving_unit_id, submitted_at=complained.received_at,
                            clock_start=complained.received_at, answer_due_at=complained.received_at,
                            refusal_due_at=complained.received_at)
    edited = sorted(d.code for d in (lodged.dossier, finished, rated, complained))
    assert stale_facts(period) == edited
    code, out, err = report("--from", "2026-02-01", "--to", "2026-02-28", "--by", "unit", "--verify")
    assert code == 1 and "4 hồ sơ có dữ liệu tổng hợp lệch" in err and ", ".join(edited) in out
    for d in (lodged.dossier, finished, rated, complained):
        report_facts.refresh(Dossier.objects.get(pk=d.pk))
    assert stale_facts(period) == []
    assert Dossier.objects.get(pk=rated.pk).disliked_at == rated.received_at

    # The settled bits are kept by triggers, which undo a direct edit; with the triggers lost (a migration that
    # rebuilt the table), an edit is named, and installing them again sets every row right.
    from django.db import connection

    from motcua.dossiers import settled

    one = counted.filter(settled_at__isnull=False).order_by("pk").first()
    Dossier.objects.filter(pk=one.pk).update(facts766=F("facts766") + 1)
    assert stale_facts(period) == []
    editor = connection.schema_editor()   # its statements only: not entered (SQLite refuses that in a transaction)
    settled.uninstall(Dossier, editor)
    Dossier.objects.filter(pk=one.pk).update(facts766=F("facts766") + 1)
    assert stale_facts(period) == [one.code]
    settled.install(Dossier, editor)
    assert stale_facts(period) == []


def test_bad_input_is_still_refused_with_exit_2(db):
    code, out, err = report("--from", "2026-02-30", "--to", "2026-03-31", "--verify")
    assert code == 2 and out == "" and "--from “2026-02-30” không phải ngày hợp lệ" in err
    code, _, err = report("--from", "2026-01-01", "--to", "2026-03-31", "--by", "month", "--verify")
    assert code == 2 and "Cách nhóm --by “month” không hợp lệ" in err
    code, _, err = report("--from", "2026-01-01", "--to", "2026-03-31", "--form", "07b", "--verify")
    assert code == 2 and "--verify chỉ kiểm tra Biểu 06" in err
