"""Rating a dossier's handling and feedback (PAKN): the commands, their refusals and the pages."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

import factories
from motcua.dossiers import services as s
from motcua.dossiers.errors import Conflict, DossierError, NotAllowed, NotFound
from motcua.dossiers.ledger import verify
from motcua.dossiers.models import Dossier, LedgerEvent, State
from motcua.feedback import services as fs
from motcua.feedback.models import Evaluation, Feedback, FeedbackKind, FeedbackState
from motcua.notify.models import OutboxMessage
from motcua.org.models import UnitKind
from test_dossiers import at, received

pytestmark = pytest.mark.django_db

GOOD = {1: 2, 2: None, 3: 2, 4: 1, 6: 2, 7: 2}


@pytest.fixture
def w():
    return factories.dossier_world()


def ready(w, day: int = 15) -> Dossier:
    d = s.forward(received(w, when=at(day, 9)), w.receptionist, at=at(day, 10))
    d = s.approve(s.forward(s.claim(d, w.specialist, at=at(day, 10, 5)), w.specialist, at=at(day, 11)), w.leader,
                  at=at(day, 12))
    return s.issue_result(d, w.clerk, number=f"{day}/GP", at=at(day, 14))


def portal_login(client, user):
    """A verified portal account: what motcua.applicants' login leaves behind."""
    from motcua.applicants.models import Account

    Account.objects.get_or_create(user=user, defaults={"email": f"{user.username}@example.vn",
                                                       "verified_at": timezone.now()})
    client.force_login(user)


# --- evaluation: the command -------------------------------------------------------------------------


def test_rating_a_finished_dossier_is_stored_and_chained_in_the_ledger(w):
    d = ready(w)
    version = d.version
    e = fs.rate(d.code, w.citizen, answers=GOOD, satisfaction=5, comment="  Cán bộ tận tình  ", at=at(16, 9))
    assert (e.i1, e.i2, e.i3, e.i4, e.i6, e.i7, e.satisfaction) == (2, None, 2, 1, 2, 2, 5)
    assert e.unit == d.resolving_unit and e.applicant == w.applicant and e.comment == "Cán bộ tận tình"
    event = LedgerEvent.objects.filter(dossier=d).order_by("-seq").first()
    assert event.type == "evaluated" and event.actor_id_value == w.citizen.pk
    assert json.loads(event.after)["evaluation"] == fs.evaluation_fragment(e)
    assert json.loads(event.before) == {"evaluation": None}
    d.refresh_from_db()
    assert d.version == version + 1  # a stale staff form on the dossier now gets the conflict message
    assert verify(Dossier.objects.filter(pk=d.pk)) == [] and fs.verify_evaluations() == []


def test_a_rating_edited_behind_the_ledger_is_found(w):
    d = ready(w)
    fs.rate(d.code, w.citizen, answers=GOOD, satisfaction=2, at=at(16, 9))
    Evaluation.objects.filter(dossier=d).update(i7=0, satisfaction=5)
    assert fs.verify_evaluations() == [f"{d.code}: đánh giá khác với sổ cái ở trường: i7, satisfaction"]
    assert verify(Dossier.objects.filter(pk=d.pk)) == []  # the chain itself is intact
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:  # and `motcua verify-ledger` names it
        call_command("verify_ledger", stdout=out, stderr=io.StringIO())
    assert exit_.value.code == 1 and f"SAI  {d.code}: đánh giá khác với sổ cái" in out.getvalue()


def test_one_rating_per_dossier(w):
    d = ready(w)
    fs.rate(d.code, w.citizen, answers=GOOD, satisfaction=4, at=at(16, 9))
    with pytest.raises(Conflict, match="đã được đánh giá lúc 09:00 ngày 16/09/2025; mỗi hồ sơ chỉ"):
        fs.rate(d.code, w.citizen, answers=GOOD, satisfaction=1, at=at(16, 10))
    assert Evaluation.objects.get(dossier=d).satisfaction == 4
    assert LedgerEvent.objects.filter(dossier=d, type="evaluated").count() == 1
    with pytest.raises(Exception):  # the database holds the rule too
        Evaluation.objects.create(dossier=d, applicant=w.applicant, unit=d.resolving_unit, criteria_set="TT01_2018",
                                  channel="online", i1=2, i3=2, i4=2, i7=2, satisfaction=5, rated_at=at(16, 11))


def test_only_the_applicant_after_the_result_and_with_a_whole_sheet(w):
    d = received(w)
    with pytest.raises(DossierError, match="chưa có kết quả giải quyết"):
        fs.rate(d.code, w.citizen, answers=GOOD, satisfaction=5, at=at(15, 11))
    withdrawn = s.withdraw(d, w.citizen, reason="Không cần nữa", at=at(15, 12))
    with pytest.raises(DossierError, match="Công dân rút hồ sơ.*không có kết quả"):
        fs.rate(withdrawn.code, w.citizen, answers=GOOD, satisfaction=5, at=at(15, 13))
    done = ready(w, day=17)
    for outsider in (w.specialist, w.outsider, None):
        with pytest.raises(NotAllowed, match="Chỉ người đứng tên nộp hồ sơ"):
            fs.rate(done.code, outsider, answers=GOOD, satisfaction=5, at=at(17, 15))
    with pytest.raises(fs.Invalid) as bad:
        fs.rate(done.code, w.citizen, answers={1: 2, 3: 5}, satisfaction=None, at=at(17, 15))
    assert set(bad.value.errors) == {"i3", "i4", "i7", "satisfaction"}
    with pytest.raises(fs.Invalid, match="Góp ý thêm dài quá"):
        fs.rate(done.code, w.citizen, answers=GOOD, satisfaction=3, comment="x" * 2001, at=at(17, 15))
    with pytest.raises(NotFound):
        fs.rate("000.00.00.H99-250101-9999", w.citizen, answers=GOOD, satisfaction=3)
    with pytest.raises(DossierError, match="trước sự kiện gần nhất"):
        fs.rate(done.code, w.citizen, answers=GOOD, satisfaction=3, at=at(17, 13))
    assert not Evaluation.objects.exists() and not LedgerEvent.objects.filter(type="evaluated").exists()


def test_a_refused_dossier_may_be_rated_too(w):
    d = s.forward(s.claim(s.forward(received(w), w.receptionist, at=at(15, 10)), w.specialist, at=at(15, 11)),
                  w.specialist, at=at(15, 12))
    d = s.refuse(d, w.leader, reasons=["Không đủ điều kiện"], at=at(15, 13))
    assert d.state == State.REFUSED
    assert fs.rate(d.code, w.citizen, answers=GOOD, satisfaction=2, at=at(15, 14)).satisfaction == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_ratings_at_once_make_one(w):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race is exercised on PostgreSQL")
    d = ready(w)
    outcomes, barrier = [], threading.Barrier(2)

    def attempt(level):
        from django.db import connection as c
        try:
            barrier.wait()
            fs.rate(d.code, w.citizen, answers=GOOD, satisfaction=level, at=at(16, 9))
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            c.close()

    threads = [threading.Thread(target=attempt, args=(level,)) for level in (4, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Evaluation.objects.filter(dossier=d).count() == 1 and verify(Dossier.objects.filter(pk=d.pk)) == []


# --- evaluation: the page ----------------------------------------------------------------------------


def test_rating_page_for_the_applicant(client, w):
    d = ready(w)
    url = f"/y-kien/danh-gia/{d.code}/"
    assert client.get(url).status_code == 302  # to the login page
    portal_login(client, w.citizen)
    page = client.get(url).content.decode()
    assert "Chỉ số 7. Thái độ của cán bộ" in page and "Không đánh giá được" in page
    assert "Theo hệ thống: hồ sơ có kết quả trước ngày hẹn trả." in page
    bad = client.post(url, {"i1": "2", "i3": "2", "satisfaction": ""})
    assert bad.status_code == 422
    text = bad.content.decode()
    assert "Chưa chọn mức đánh giá cho chỉ số 4." in text and 'aria-describedby="i4-error"' in text
    assert 'id="i4-error"' in text and "Chưa chọn mức hài lòng chung." in text
    assert 'value="2" id="i1-first" checked' in text  # what was chosen stays chosen
    assert not Evaluation.objects.exists()
    form = {"i1": "2", "i2": "", "i3": "2", "i4": "1", "i6": "2", "i7": "2", "satisfaction": "5", "comment": "Tốt"}
    done = client.post(url, form)
    assert done.status_code == 302 and done["Location"] == url
    shown = client.get(url).content.decode()
    assert "Cảm ơn Ông/Bà đã đánh giá" in shown and "Đánh giá của Ông/Bà" in shown and "Rất hài lòng" in shown
    again = client.post(url, form)
    assert again.status_code == 409 and "mỗi hồ sơ chỉ được đánh giá một lần" in again.content.decode()


def another_citizen():
    from motcua.accounts.models import ApplicantKind
    from motcua.accounts.services import ApplicantData, create_staff, register_applicant

    applicant = register_applicant(ApplicantData(ApplicantKind.CITIZEN, "Lê Văn Khác", cccd="001090054321",
                                                 phone="0988000222"))
    user = create_staff("congdankhac", "Lê Văn Khác", factories.PASSWORD, [], check_password=False)
    applicant.user = user
    applicant.save(update_fields=["user"])
    return user


def test_rating_page_refuses_others_and_unfinished(client, w):
    d = received(w)
    portal_login(client, w.citizen)
    early = client.get(f"/y-kien/danh-gia/{d.code}/")
    assert early.status_code == 422 and "chưa có kết quả" in early.content.decode()
    assert client.get("/y-kien/danh-gia/khong-phai-ma/").status_code == 404
    done = ready(w, day=18)
    fs.rate(done.code, w.citizen, answers=GOOD, satisfaction=1, at=at(18, 15))
    portal_login(client, another_citizen())
    refused = client.get(f"/y-kien/danh-gia/{done.code}/")  # someone else's: as if there were none
    assert refused.status_code == 404 and done.resolving_unit.name not in refused.content.decode()
    posted = client.post(f"/y-kien/danh-gia/{done.code}/", {"i1": "2", "satisfaction": "5"})
    assert posted.status_code == 404 and Evaluation.objects.count() == 1


# --- feedback (PAKN): the commands -------------------------------------------------------------------


def anonymous(w, **extra) -> Feedback:
    values = dict(kind=FeedbackKind.REGULATION, about="procedure", procedure_code=w.variant.version.procedure.code,
                  subject="Thành phần hồ sơ chưa rõ", content="Trang thủ tục không ghi rõ cần bản sao hay bản chính.",
                  sender_name="Trần Văn Bình", email="binh@example.vn", at=at(15, 9))
    values.update(extra)
    return fs.submit_feedback(**values)


def test_feedback_is_routed_with_its_deadlines_and_acknowledged(w):
    f = anonymous(w)
    assert f.unit == w.tree["justice"] and f.state == FeedbackState.OPEN  # the procedure's competent unit
    assert f.refusal_due_at == at(17, 9) and f.answer_due_at == at(6, 9, month=10)  # 2 and 15 working days
    assert len(f.token) >= 32
    mail = OutboxMessage.objects.get(topic="feedback.received", channel="email")
    assert mail.recipient == "binh@example.vn" and f"/y-kien/phan-anh/{f.token}/" in mail.body
    assert f.number in mail.subject and "09:00 ngày 06/10/2025" in mail.body

    d = ready(w)
    about_dossier = anonymous(w, about="dossier", dossier_code=d.code.lower(), kind=FeedbackKind.CONDUCT,
                              email="", phone="0912 345 678", at=at(16, 9))
    assert about_dossier.dossier == d and about_dossier.unit == d.resolving_unit
    assert about_dossier.procedure == d.procedure_version.procedure and about_dossier.phone == "0912345678"
    assert OutboxMessage.objects.filter(topic="feedback.received", channel="sms", recipient="0912345678").exists()

    shared = factories.procedure(competent_unit=None, level="commune")  # every commune resolves it
    office = factories.unit("Văn phòng UBND tỉnh", w.tree["province"], kind=UnitKind.OFFICE)
    assert anonymous(w, procedure_code=shared.code).unit == office


def test_a_signed_in_applicant_sends_with_their_account(w):
    f = fs.submit_feedback(actor=w.citizen, applicant=w.applicant, kind=FeedbackKind.REGULATION, about="procedure",
                           procedure_code=w.variant.version.procedure.code, subject="Đề nghị thêm nộp trực tuyến",
                           content="Đề nghị cho nộp bản chụp thay cho bản sao chứng thực.", at=at(15, 9))
    assert f.applicant == w.applicant and f.sender_name == w.applicant.full_name
    assert (f.email, f.phone) == ("hoa@example.vn", "0912000111")
    with pytest.raises(NotAllowed):
        fs.submit_feedback(actor=w.specialist, applicant=w.applicant, kind="regulation", about="procedure",
                           procedure_code=w.variant.version.procedure.code, subject="Mạo danh",
                           content="Người khác gửi dưới tên người nộp hồ sơ.")


def test_bad_feedback_says_every_problem_and_writes_nothing(w):
    with pytest.raises(fs.Invalid) as exc:
        fs.submit_feedback(kind="khac", about="dossier", dossier_code="ABC", subject="ab", content="ngắn",
                           sender_name="", email="khong-phai-thu", phone="123")
    assert exc.value.errors == {
        "kind": "Chọn phản ánh về quy định, thủ tục hay về hành vi, thái độ của cán bộ.",
        "dossier_code": "Không tìm thấy hồ sơ có mã “ABC”.",
        "subject": "Tiêu đề cần ít nhất 5 ký tự.", "content": "Nội dung cần ít nhất 20 ký tự.",
        "email": "Địa chỉ thư điện tử không hợp lệ.", "phone": "Số điện thoại không hợp lệ (ví dụ 0912345678).",
        "sender_name": "Nhập họ tên."}
    with pytest.raises(fs.Invalid) as exc:
        anonymous(w, email="", phone="")
    assert exc.value.errors == {"email": "Nhập thư điện tử hoặc số điện thoại để nhận trả lời."}
    with pytest.raises(fs.Invalid) as exc:
        anonymous(w, about="", procedure_code="")
    assert exc.value.errors == {"about": "Chọn phản ánh về một thủ tục hay về một hồ sơ."}
    with pytest.raises(fs.Invalid, match="Không tìm thấy thủ tục có mã “9.999999”"):
        anonymous(w, procedure_code="9.999999")
    with pytest.raises(fs.Invalid, match="Nội dung dài quá 5000"):
        anonymous(w, content="x" * 5001)
    assert not Feedback.objects.exists() and not OutboxMessage.objects.filter(topic__startswith="feedback").exists()


def test_staff_answer_decline_and_transfer(w):
    f = anonymous(w)
    with pytest.raises(NotAllowed, match="Chỉ cán bộ của Sở Tư pháp"):
        fs.answer_feedback(f.pk, w.outsider, answer="Không phải đơn vị này trả lời.", at=at(16, 9))
    with pytest.raises(fs.Invalid, match="Nội dung trả lời cần ít nhất 10"):
        fs.answer_feedback(f.pk, w.specialist, answer="Đã rõ", at=at(16, 9))
    f = fs.answer_feedback(f.pk, w.specialist, answer="Nộp bản sao có chứng thực hoặc bản chụp kèm bản chính.",
                           kind=FeedbackKind.REGULATION, unfounded=True, at=at(16, 9))
    assert f.state == FeedbackState.ANSWERED and f.closed_by == w.specialist and not f.unfounded  # not a conduct one
    assert fs.feedback_standing(f, at(30, 9)) == "on_time"
    mail = OutboxMessage.objects.get(topic="feedback.answered", channel="email")
    assert "bản chụp kèm bản chính" in mail.body and f.token in mail.body
    with pytest.raises(Conflict, match="đã được xử lý"):
        fs.answer_feedback(f.pk, w.leader, answer="Trả lời lần thứ hai cho cùng phản ánh.", at=at(16, 10))
    with pytest.raises(Conflict):
        fs.decline_feedback(f.pk, w.leader, reason="Không thuộc thẩm quyền giải quyết.", at=at(16, 10))

    g = anonymous(w, kind=FeedbackKind.CONDUCT)
    moved = fs.transfer_feedback(g.pk, w.specialist, unit=w.tree["construction"].pk, at=at(18, 14))
    assert moved.unit == w.tree["construction"] and moved.clock_start == at(18, 14) and moved.transfers == 1
    assert moved.refusal_due_at == at(22, 14)  # counted again from the transfer
    with pytest.raises(NotAllowed):
        fs.decline_feedback(g.pk, w.specialist, reason="Không còn là đơn vị của tôi.", at=at(18, 15))
    with pytest.raises(fs.Invalid, match="Phản ánh đang ở chính đơn vị này"):
        fs.transfer_feedback(g.pk, w.outsider, unit=w.tree["construction"], at=at(18, 15))
    with pytest.raises(fs.Invalid, match="Chọn đơn vị nhận"):
        fs.transfer_feedback(g.pk, w.outsider, unit=None)
    late = fs.decline_feedback(g.pk, w.outsider_leader, reason="Nội dung đã được trả lời tại phản ánh khác.",
                               at=at(23, 9))
    assert late.state == FeedbackState.DECLINED and fs.feedback_standing(late, at(23, 9)) == "late"
    assert OutboxMessage.objects.filter(topic="feedback.declined", recipient="binh@example.vn").exists()

    h = anonymous(w, kind=FeedbackKind.CONDUCT)
    h = fs.answer_feedback(h.pk, w.leader, answer="Đã xác minh, cán bộ làm đúng quy định.", unfounded=True,
                           at=at(19, 9))
    assert h.unfounded
    assert fs.feedback_standing(anonymous(w), at(6, 9, month=10) + dt.timedelta(minutes=1)) == "overdue"


# --- feedback (PAKN): the pages ----------------------------------------------------------------------


def test_feedback_form_status_page_and_staff_pages(client, w):
    code = w.variant.version.procedure.code
    form = client.get(f"/y-kien/phan-anh/?thu-tuc={code}").content.decode()
    assert f'value="{code}"' in form and 'for="f-sender_name"' in form
    bad = client.post("/y-kien/phan-anh/", {"about": "procedure", "procedure_code": code, "kind": "conduct",
                                            "subject": "Thái độ", "content": "Cán bộ hướng dẫn chưa nhiệt tình.",
                                            "sender_name": "Bình"})
    text = bad.content.decode()
    assert bad.status_code == 422 and "Nhập thư điện tử hoặc số điện thoại" in text
    assert 'aria-invalid="true" aria-describedby="email-error"' in text and 'value="Thái độ"' in text
    assert not Feedback.objects.exists()
    sent = client.post("/y-kien/phan-anh/", {"about": "procedure", "procedure_code": code, "kind": "conduct",
                                             "subject": "Thái độ cán bộ", "content": "Cán bộ hướng dẫn chưa nhiệt tình.",
                                             "sender_name": "Bình", "phone": "0987654321"})
    f = Feedback.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/y-kien/phan-anh/{f.token}/"
    status = client.get(sent["Location"])
    assert status["Referrer-Policy"] == "no-referrer" and "Đang xem xét, xử lý" in status.content.decode()
    assert client.get("/y-kien/phan-anh/" + "x" * 32 + "/").status_code == 404

    client.force_login(w.outsider)
    assert f.number not in client.get("/y-kien/can-bo/").content.decode()
    assert client.get(f"/y-kien/can-bo/{f.pk}/").status_code == 403
    client.force_login(w.specialist)
    listing = client.get("/y-kien/can-bo/").content.decode()
    assert f.number in listing and "Phản ánh, kiến nghị" in listing
    refused = client.post(f"/y-kien/can-bo/{f.pk}/tra-loi/", {"answer": "ngắn"})
    assert refused.status_code == 422 and 'id="answer-error"' in refused.content.decode()
    done = client.post(f"/y-kien/can-bo/{f.pk}/tra-loi/", {"answer": "Đơn vị đã nhắc nhở cán bộ.", "kind": "conduct"})
    assert done.status_code == 302
    assert "Đã gửi trả lời đến người phản ánh." in client.get(done["Location"]).content.decode()
    client.logout()
    shown = client.get(f"/y-kien/phan-anh/{f.token}/").content.decode()
    assert "Đã trả lời" in shown and "Đơn vị đã nhắc nhở cán bộ." in shown

    client.force_login(w.citizen)  # staff-less account: the workspace's 403, not the list
    assert client.get("/y-kien/can-bo/").status_code == 403


def test_signed_in_applicant_sees_their_feedback(client, w):
    portal_login(client, w.citizen)
    form = client.get("/y-kien/phan-anh/").content.decode()
    assert "Gửi với tên <strong>Nguyễn Thị Hoà</strong>" in form and 'id="f-sender_name"' not in form
    client.post("/y-kien/phan-anh/", {"about": "procedure", "procedure_code": w.variant.version.procedure.code,
                                      "kind": "regulation", "subject": "Góp ý biểu mẫu",
                                      "content": "Biểu mẫu tờ khai nên có bản điền sẵn trên cổng.",
                                      "email": "hoa@example.vn"})
    f = Feedback.objects.get()
    assert f.applicant == w.applicant
    assert f.number in client.get("/y-kien/cua-toi/").content.decode()
