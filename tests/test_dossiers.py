"""The dossier lifecycle through the service commands: a whole life, then every refusal."""

from __future__ import annotations

import datetime as dt

import pytest

import factories
from motcua.calendar import TZ, Duration
from motcua.dossiers import services as s
from motcua.dossiers.errors import Conflict, DossierError, NotAllowed
from motcua.dossiers.files import Upload
from motcua.dossiers.ledger import verify
from motcua.dossiers.models import (
    Channel, Dossier, DossierDocument, DossierStep, LedgerEvent, State, StepOutcome,
)
from motcua.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def at(day: int, hour: int, minute: int = 0, month: int = 9) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def w():
    return factories.dossier_world(supplement_rule="pause")


def lodge_online(w, when=None, key=None) -> Dossier:
    return s.submit_online(w.applicant, w.variant, actor=w.citizen, documents=[
        Upload("Đơn đề nghị", required_id=w.variant.documents.get(order=1).pk, file_name="don.pdf", content=PDF)],
        idempotency_key=key, at=when or at(15, 9))


def received(w, when=None) -> Dossier:
    d = lodge_online(w, when=when)
    return s.accept(d, w.receptionist, at=(when or at(15, 9)) + dt.timedelta(minutes=30))


def test_a_whole_life_with_pause_apology_late_result_and_return(w):
    d = lodge_online(w)
    assert d.state == State.SUBMITTED and d.code is None and d.national_status == 1 and d.national_channel == 2
    d = s.accept(d, w.receptionist, at=at(15, 9, 30))
    identifier = w.tree["province"].identifier
    assert d.code == f"{identifier}-250915-0001"
    assert d.regime == "ND118" and d.book_year == 2025 and d.book_number == 1
    # 5 working days from Monday 09:30 → Monday 22/9 09:30
    assert d.due_at == d.original_due_at == at(22, 9, 30)
    assert d.transfer_due_at is None  # online dossiers move electronically
    assert d.state == State.RECEIVED and d.current_step.role == "receptionist"
    d = s.forward(d, w.receptionist, at=at(15, 10))
    assert d.state == State.PROCESSING and d.current_step.unit == w.tree["justice"]
    d = s.claim(d, w.specialist, at=at(15, 10, 5))
    d = s.request_supplement(d, w.specialist, items=["Bản sao giấy tờ tùy thân"], reason="Thiếu bản sao",
                             at=at(16, 9))
    assert d.state == State.AWAITING_SUPPLEMENT and d.national_status == 5
    d = s.record_supplement(d, w.citizen, documents=[Upload("Bản sao giấy tờ tùy thân", kind="copy",
                                                            file_name="cccd.png", content=PNG)], at=at(18, 9))
    # paused Tue 09:00 → Thu 09:00: two working days later
    assert d.state == State.PROCESSING and d.due_at == at(24, 9, 30) and d.original_due_at == at(22, 9, 30)
    d = s.forward(d, w.specialist, at=at(19, 16))
    assert d.current_step.role == "leader"
    with pytest.raises(DossierError, match="chậm nhất 01 ngày làm việc"):
        s.apologise(d, w.leader, reason="Chờ xác minh", extension=Duration(2, "working_days"), at=at(23, 10))
    d = s.apologise(d, w.leader, reason="Chờ kết quả xác minh", extension=Duration(2, "working_days"), at=at(22, 10))
    assert d.due_at == at(26, 9, 30) and d.original_due_at == at(22, 9, 30)
    with pytest.raises(DossierError, match="không được hẹn lại lần thứ hai"):
        s.apologise(d, w.leader, reason="Lần nữa", extension=Duration(1, "working_days"), at=at(22, 11))
    d = s.approve(d, w.leader, at=at(25, 15))
    assert d.current_step.role == "clerk"
    d = s.issue_result(d, w.clerk, number="123/GP-STP", file=Upload("Giấy phép", file_name="gp.pdf", content=PDF),
                       at=at(26, 10))
    assert d.state == State.RESULT_READY and d.finished_at == at(26, 10) and d.national_status == 9
    d = s.return_result(d, w.receptionist, method="desk", originals_returned=True, at=at(26, 11))
    assert d.state == State.RETURNED and d.national_status == 10 and d.current_step is None
    # the process control sheet: five passes, each closed
    steps = list(DossierStep.objects.filter(dossier=d).order_by("seq"))
    assert [x.outcome for x in steps] == [StepOutcome.FORWARDED, StepOutcome.FORWARDED, StepOutcome.APPROVED,
                                          StepOutcome.ISSUED, StepOutcome.RETURNED]
    assert steps[-2].due_at is not None
    events = list(LedgerEvent.objects.filter(dossier=d).order_by("seq").values_list("type", flat=True))
    assert events == ["submitted", "accepted", "forwarded", "claimed", "supplement_requested", "supplement_recorded",
                      "forwarded", "apologised", "approved", "result_issued", "result_returned"]
    assert verify() == []
    docs = DossierDocument.objects.filter(dossier=d)
    assert {x.stage for x in docs} == {"intake", "supplement", "result"}
    assert all(len(x.sha256) == 64 and x.size > 0 for x in docs)
    topics = set(OutboxMessage.objects.values_list("topic", flat=True))
    assert {"dossier.received", "dossier.supplement_requested", "dossier.apology", "dossier.result_ready"} <= topics


def test_restart_rule_counts_again_from_the_supplement():
    w = factories.dossier_world(supplement_rule="restart")
    d = received(w)
    d = s.forward(d, w.receptionist, at=at(15, 10))
    d = s.request_supplement(d, w.specialist, items=["Đơn đề nghị bản đúng mẫu"], reason="Sai mẫu", at=at(16, 9))
    d = s.record_supplement(d, w.receptionist, at=at(17, 14))
    assert d.clock_start == at(17, 14) and d.due_at == at(24, 14)


def test_paper_dossier_after_cutoff_starts_next_working_day(w):
    d = s.register_at_desk(w.receptionist, w.desk, w.applicant, w.variant, documents=[Upload("Đơn đề nghị")],
                           at=at(19, 15, 30))
    assert d.channel == Channel.IN_PERSON and d.state == State.SUBMITTED
    d = s.accept(d, w.receptionist, at=at(19, 15, 40))
    assert d.transfer_due_at == at(22, 11, 30)  # received after 15:00 on Friday: Monday morning
    assert d.due_at == at(26, 17)  # counted from Monday opening: 5 full working days


def test_daily_sequence_per_unit_and_book_numbers_continue(w):
    codes = [received(w, when=at(15, 9 + i)).code for i in range(3)]
    assert [c[-4:] for c in codes] == ["0001", "0002", "0003"]
    nxt = received(w, when=at(16, 9))
    assert nxt.code.endswith("-250916-0001") and nxt.book_number == 4


def test_idempotent_online_submission(w):
    first = lodge_online(w, key="abc-12345-xyz")
    again = lodge_online(w, key="abc-12345-xyz")
    assert first.pk == again.pk and Dossier.objects.count() == 1


def test_refusals_of_role_unit_and_state(w):
    d = lodge_online(w)
    with pytest.raises(NotAllowed):
        s.accept(d, w.specialist, at=at(15, 9, 30))
    with pytest.raises(NotAllowed):
        s.accept(d, w.outsider, at=at(15, 9, 30))
    with pytest.raises(DossierError, match="chưa tiếp nhận"):
        s.forward(d, w.receptionist, at=at(15, 9, 30))
    d = s.accept(d, w.receptionist, at=at(15, 9, 30))
    with pytest.raises(DossierError, match="đã tiếp nhận"):
        s.accept(d, w.receptionist, at=at(15, 9, 40))
    d = s.forward(d, w.receptionist, at=at(15, 10))
    with pytest.raises(NotAllowed):
        s.claim(d, w.outsider, at=at(15, 10, 1))
    s.claim(d, w.specialist, at=at(15, 10, 2))
    with pytest.raises(Conflict):
        s.claim(d, w.specialist2, at=at(15, 10, 3))
    with pytest.raises(NotAllowed):
        s.forward(d, w.specialist2, at=at(15, 10, 4))
    with pytest.raises(DossierError, match="phê duyệt"):
        s.approve(d, w.leader, at=at(15, 10, 5))
    with pytest.raises(Conflict):
        s.forward(d, w.specialist, version=0, at=at(15, 10, 6))
    # nothing of the refusals reached the ledger
    assert LedgerEvent.objects.filter(dossier=d).count() == 4


def test_supplement_after_three_working_days_is_refused(w):
    d = received(w)
    d = s.forward(d, w.receptionist, at=at(15, 10))
    with pytest.raises(DossierError, match="quá 3 ngày làm việc"):
        s.request_supplement(d, w.specialist, items=["X"], reason="Thiếu", at=at(18, 10))
    d.refresh_from_db()
    assert d.state == State.PROCESSING and not d.supplements.exists()


def test_files_are_checked_by_content_and_nothing_is_left_behind(w, settings):
    before = Dossier.objects.count()
    with pytest.raises(DossierError, match="không phải PDF, JPEG hoặc PNG"):
        s.submit_online(w.applicant, w.variant, actor=w.citizen,
                        documents=[Upload("Đơn", file_name="don.pdf", content=b"MZ\x90\x00 not a pdf")], at=at(15, 9))
    settings.MOTCUA_MAX_UPLOAD_MB = 1
    with pytest.raises(DossierError, match="vượt quá 1 MB"):
        s.submit_online(w.applicant, w.variant, actor=w.citizen,
                        documents=[Upload("Đơn", file_name="a.pdf", content=PDF),
                                   Upload("Ảnh", file_name="b.png", content=PNG + b"\x00" * (1024 * 1024))],
                        at=at(15, 9))
    assert Dossier.objects.count() == before
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def test_intake_supplement_then_refusal_and_withdrawal(w):
    d = s.register_at_desk(w.receptionist, w.desk, w.applicant, w.variant, at=at(15, 9))
    d = s.request_intake_supplement(d, w.receptionist, items=[{"name": "Đơn đề nghị", "kind": "original"}],
                                    reason="Chưa có đơn", at=at(15, 9, 5))
    assert d.state == State.INTAKE_SUPPLEMENT and d.received_at is None and d.due_at is None
    d = s.record_intake_supplement(d, w.receptionist, documents=[Upload("Đơn đề nghị")], at=at(16, 8))
    d = s.refuse_intake(d, w.receptionist, reasons=["Không thuộc thẩm quyền"], at=at(16, 8, 30))
    assert d.state == State.INTAKE_REFUSED and d.national_status == 3
    other = received(w, when=at(17, 9))
    with pytest.raises(NotAllowed):
        s.withdraw(other, w.outsider, reason="Rút", at=at(17, 10))
    other = s.withdraw(other, w.citizen, reason="Không còn nhu cầu", at=at(17, 10))
    assert other.state == State.WITHDRAWN and other.national_status == 7


def test_fees_payments_are_idempotent_and_capped(w):
    d = received(w)
    assert d.fee_total == 50000
    with pytest.raises(DossierError, match="vượt quá"):
        s.record_payment(d, w.receptionist, amount=60000, method="cash", reference="BL-1", at=at(15, 10))
    d = s.record_payment(d, None, amount=50000, method="online", reference="VNP-778", at=at(15, 10))
    again = s.record_payment(d, None, amount=50000, method="online", reference="VNP-778", at=at(15, 11))
    assert again.fee_paid == 50000 and again.version == d.version
    with pytest.raises(DossierError, match="số tiền khác"):
        s.record_payment(d, None, amount=40000, method="online", reference="VNP-778", at=at(15, 11))


def test_inter_agency_sequential_transfer(w):
    d = received(w)
    d = s.forward(d, w.receptionist, at=at(15, 10))
    s.claim(d, w.specialist, at=at(15, 10, 1))
    d = s.transfer(d, w.specialist, mode="sequential", at=at(15, 11), tasks=[
        s.TaskSpec(w.tree["construction"], "Thẩm định hồ sơ kỹ thuật", Duration(1, "working_days")),
        s.TaskSpec(w.tree["commune_a"], "Xác minh thực địa", Duration(4, "working_hours")),
    ])
    first, second = d.tasks.order_by("sequence_no")
    assert (first.state, second.state) == ("active", "waiting")
    assert first.due_at == at(16, 11) and second.due_at == at(16, 17)
    with pytest.raises(DossierError, match="liên thông"):
        s.forward(d, w.specialist, at=at(15, 12))
    with pytest.raises(NotAllowed):
        s.complete_task(first, w.specialist, answer="Đạt", at=at(15, 14))
    s.complete_task(first, w.outsider, answer="Đạt yêu cầu", at=at(15, 14))
    second.refresh_from_db()
    assert second.state == "active"


def test_admin_shows_dossiers_read_only_within_reach(client, w):
    d = received(w)
    client.force_login(w.leader)
    listing = client.get("/admin/dossiers/dossier/")
    assert listing.status_code == 200 and d.code in listing.content.decode()
    page = client.get(f"/admin/dossiers/dossier/{d.pk}/change/")
    assert page.status_code == 200 and "accepted" in page.content.decode()
    assert client.post(f"/admin/dossiers/dossier/{d.pk}/change/", {"state": "returned"}).status_code == 403
    client.force_login(w.outsider)
    assert d.code not in client.get("/admin/dossiers/dossier/").content.decode()
    assert client.get(f"/admin/dossiers/dossier/{d.pk}/change/").status_code == 302  # not found → back to list


def test_standing_is_derived_at_a_moment(w, settings):
    from motcua.dossiers.progress import control_sheet, overdue_q, standing

    settings.MOTCUA_AT_RISK_SHARE = 0.2
    d = s.forward(received(w), w.receptionist, at=at(15, 10))
    # the specialist step was given until its planned due instant; near it the dossier is at risk
    step_due = d.current_step.due_at
    assert standing(d, at(15, 11)).status == "within"
    assert standing(d, at(15, 11)).remaining_text == "còn 4 ngày 6 giờ làm việc"
    assert standing(d, step_due - dt.timedelta(minutes=30)).status == "at_risk"
    assert standing(d, at(23, 9)).status == "over" and standing(d, at(23, 9)).remaining_text.startswith("quá")
    assert not Dossier.objects.filter(overdue_q(at(22, 9))).exists()
    assert Dossier.objects.filter(overdue_q(at(22, 10))).get() == d
    rows = control_sheet(d, at(15, 11))
    assert [r["status"] for r in rows] == ["on_time", "within"] and rows[0]["result_label"] == "đúng hạn"  # same date
    assert s.apology_deadline(d) == at(19, 9, 30)
