"""Applicant accounts through real HTTP requests to the views: register with e-mail (codes read from a
real SMTP server) or phone (a real HTTP SMS gateway), verify, sign in with lockout, reset the password
without revealing who has an account, edit contact details; every refusal in Vietnamese, nothing
half-written."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from motcua.accounts.models import Applicant, ApplicantKind, User
from motcua.accounts.services import ApplicantData, register_applicant
from motcua.applicants import delivery
from motcua.applicants.models import Account, OneTimeCode
from tests.test_applicants_fakes import sms, smtp  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

PASSWORD = "Hoa-sen-noi-2025"
CITIZEN = {"kind": "citizen", "full_name": "Nguyễn Thị Ánh", "cccd": "038190012345", "date_of_birth": "1990-03-04",
           "address": "Số 5 Trần Phú, xã Đồng Tâm", "login": "anh.nguyen@example.vn", "password": PASSWORD,
           "password2": PASSWORD}
ORGANISATION = {"kind": "organisation", "org_name": "Công ty TNHH Sen Vàng", "tax_code": "0100109106",
                "representative": "Lê Văn Tâm", "org_address": "12 Lý Thường Kiệt, Hà Nội",
                "login": "0912345678", "password": PASSWORD, "password2": PASSWORD}


def text(response) -> str:
    return response.content.decode()


def same_page(response, login: str) -> str:
    """The page with what differs by design taken out: the login typed and the CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text(response).replace(login, "X"))


def register(client, **changes):
    return client.post("/tai-khoan/dang-ky/", {**CITIZEN, **changes})


def verify(client, code, login=None):
    data = {"action": "verify", "code": code}
    if login:
        data["login"] = login
    return client.post("/tai-khoan/xac-thuc/", data)


def test_register_by_email_verify_and_sign_in(client, smtp):
    response = register(client)
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/xac-thuc/"
    user = User.objects.get(username="anh.nguyen@example.vn")
    assert not user.is_active and not Applicant.objects.exists()  # nothing usable before the code
    message, = smtp.to("anh.nguyen@example.vn")
    assert message["Subject"].strip() == "Mã xác thực tài khoản Cổng dịch vụ công"
    code = smtp.code_for("anh.nguyen@example.vn")
    assert code not in OneTimeCode.objects.get().code_hash  # only a keyed hash is kept
    page = client.get("/tai-khoan/xac-thuc/")
    assert "an***@example.vn" in text(page)

    response = verify(client, code)
    assert response.status_code == 302
    applicant = Applicant.objects.get()
    assert (applicant.kind, applicant.full_name, applicant.cccd, applicant.date_of_birth, applicant.email) == (
        ApplicantKind.CITIZEN, "Nguyễn Thị Ánh", "038190012345", dt.date(1990, 3, 4), "anh.nguyen@example.vn")
    user.refresh_from_db()
    assert user.is_active and applicant.user == user and user.portal_account.verified_at is not None
    assert not OneTimeCode.objects.exists()
    profile = client.get("/tai-khoan/ho-so-ca-nhan/")
    assert profile.status_code == 200 and "038190012345" in text(profile)

    client.post("/tai-khoan/dang-xuat/")
    assert client.get("/tai-khoan/ho-so-ca-nhan/").status_code == 302
    response = client.post("/tai-khoan/dang-nhap/", {"login": "Anh.Nguyen@Example.vn", "password": PASSWORD,
                                                     "next": "/tai-khoan/ho-so-ca-nhan/"})
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/ho-so-ca-nhan/"


def test_register_organisation_by_phone_through_the_sms_gateway(client, sms, settings):
    response = client.post("/tai-khoan/dang-ky/", {**ORGANISATION, "login": "+84 912 345 678"})
    assert response.status_code == 302
    account = Account.objects.get()
    assert account.phone == "0912345678" and account.email is None
    code = sms.code_for("0912345678")
    assert verify(client, code).status_code == 302
    applicant = Applicant.objects.get()
    assert (applicant.kind, applicant.full_name, applicant.tax_code, applicant.phone) == (
        ApplicantKind.ORGANISATION, "Công ty TNHH Sen Vàng", "0100109106", "0912345678")
    assert applicant.user.full_name == "Lê Văn Tâm"  # the representative acts through the account
    client.post("/tai-khoan/dang-xuat/")
    assert client.post("/tai-khoan/dang-nhap/", {"login": "0912.345.678", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("changes, field, message", [
    ({"cccd": "12345"}, "cccd", "phải gồm đúng 12 chữ số"),
    ({"cccd": "999190012345"}, "cccd", "không phải mã tỉnh"),
    ({"full_name": "  "}, "full_name", "Nhập họ và tên."),
    ({"date_of_birth": ""}, "date_of_birth", "Nhập ngày sinh"),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth", "không được sau ngày hôm nay"),
    ({"login": "khong-phai-dia-chi"}, "login", "Nhập địa chỉ thư điện tử"),
    ({"login": "0123"}, "login", "số điện thoại di động 10 chữ số"),
    ({"password": "12345678", "password2": "12345678"}, "password", "không được chỉ gồm chữ số"),
    ({"password": "abc", "password2": "abc"}, "password", "cần ít nhất 8 ký tự"),
    ({"password2": "khac-nhau-2025"}, "password", "không khớp"),
    ({"kind": "robot"}, "kind", "Chọn đăng ký cho công dân"),
])
def test_registration_refusals_are_vietnamese_and_write_nothing(client, smtp, changes, field, message):
    response = register(client, **changes)
    assert response.status_code == 400
    assert message in text(response)
    if field != "kind":
        assert f'aria-describedby="{"f-" + field}-hint f-{field}-error"' in text(response) or \
            f'aria-describedby="f-{field}-error"' in text(response)
    assert not User.objects.exists() and not Account.objects.exists() and not smtp.messages


def test_organisation_refusals(client, smtp):
    response = client.post("/tai-khoan/dang-ky/", {**ORGANISATION, "tax_code": "0100109107", "representative": ""})
    assert response.status_code == 400
    assert "chữ số kiểm tra không đúng" in text(response) and "Nhập họ tên người đại diện." in text(response)
    assert not User.objects.exists()


def test_one_account_per_cccd_and_per_login(client, smtp):
    register(client)
    verify(client, smtp.code_for("anh.nguyen@example.vn"))
    client.post("/tai-khoan/dang-xuat/")
    users = User.objects.count()

    again = register(client, login="khac@example.vn")
    assert again.status_code == 400 and "Số căn cước 038190012345 đã có tài khoản" in text(again)
    same_login = register(client, cccd="001090099999")
    assert same_login.status_code == 400 and "anh.nguyen@example.vn đã được dùng" in text(same_login)
    assert User.objects.count() == users and Applicant.objects.count() == 1 and Account.objects.count() == 1


def test_desk_applicant_is_linked_only_after_the_code(client, smtp):
    desk = register_applicant(ApplicantData(ApplicantKind.CITIZEN, "Nguyễn Thị Ánh", cccd="038190012345",
                                            address="Địa chỉ tại quầy", phone="0987654321"))
    register(client)
    assert Applicant.objects.get().user is None  # no link before the code
    verify(client, smtp.code_for("anh.nguyen@example.vn"))
    desk.refresh_from_db()
    assert Applicant.objects.count() == 1
    assert desk.user.username == "anh.nguyen@example.vn"
    # what the desk recorded from the papers stays; what it left empty is filled in
    assert (desk.address, desk.phone, desk.email, desk.date_of_birth) == (
        "Địa chỉ tại quầy", "0987654321", "anh.nguyen@example.vn", dt.date(1990, 3, 4))


def test_two_pending_registrations_for_one_cccd_the_second_code_is_refused(client, smtp):
    register(client)
    other = client.__class__()
    register(other, login="ke.khac@example.vn")
    verify(client, smtp.code_for("anh.nguyen@example.vn"))
    response = verify(other, smtp.code_for("ke.khac@example.vn"))
    assert response.status_code == 400 and "Số căn cước 038190012345 đã có tài khoản" in text(response)
    assert Applicant.objects.count() == 1
    assert not User.objects.get(username="ke.khac@example.vn").is_active


def test_wrong_code_counts_attempts_then_the_code_is_used_up(client, smtp, settings):
    settings.MOTCUA_CODE_MAX_ATTEMPTS = 3
    register(client)
    code = smtp.code_for("anh.nguyen@example.vn")
    wrong = "000000" if code != "000000" else "111111"
    first = verify(client, wrong)
    assert first.status_code == 400 and "Mã xác thực không đúng (còn 2 lần thử)." in text(first)
    assert "abc" and verify(client, "12ab").status_code == 400
    third = verify(client, wrong)
    assert "nhập sai quá nhiều lần" in text(third)
    blocked = verify(client, code)  # even the right code: it is used up
    assert blocked.status_code == 400 and "yêu cầu gửi mã mới" in text(blocked)
    assert not Applicant.objects.exists()


def test_expired_code_and_resend_with_cooldown(client, smtp, settings):
    settings.MOTCUA_CODE_RESEND_SECONDS = 60
    register(client)
    code = smtp.code_for("anh.nguyen@example.vn")
    too_soon = client.post("/tai-khoan/xac-thuc/", {"action": "resend"}, follow=True)
    assert re.search(r"vui lòng chờ \d+ giây", text(too_soon))
    assert len(smtp.to("anh.nguyen@example.vn")) == 1
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=20),
                               expires_at=timezone.now() - dt.timedelta(minutes=5))
    expired = verify(client, code)
    assert expired.status_code == 400 and "Mã xác thực đã hết hạn" in text(expired)
    resent = client.post("/tai-khoan/xac-thuc/", {"action": "resend"}, follow=True)
    assert "Đã gửi mã xác thực gồm 6 chữ số tới an***@example.vn" in text(resent)
    fresh = smtp.code_for("anh.nguyen@example.vn")
    assert len(smtp.to("anh.nguyen@example.vn")) == 2
    assert verify(client, fresh).status_code == 302


def test_registering_again_before_the_code_updates_the_pending_account(client, smtp, settings):
    settings.MOTCUA_CODE_RESEND_SECONDS = 60
    register(client, full_name="Nguyen Thi Anh")
    again = register(client)
    assert again.status_code == 302
    assert Account.objects.count() == 1 and User.objects.count() == 1
    assert Account.objects.get().pending["full_name"] == "Nguyễn Thị Ánh"
    assert len(smtp.to("anh.nguyen@example.vn")) == 1  # the cooldown holds: no mail bombing by re-registering


def test_smtp_down_keeps_the_pending_account_and_says_so(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    response = client.post("/tai-khoan/dang-ky/", CITIZEN, follow=True)
    assert "Chưa gửi được thư điện tử chứa mã" in text(response)
    assert Account.objects.get().verified_at is None


def test_unverified_account_cannot_sign_in_and_is_sent_to_verify(client, smtp):
    register(client)
    client.logout()
    response = client.post("/tai-khoan/dang-nhap/", {"login": "anh.nguyen@example.vn", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/xac-thuc/"
    assert "_auth_user_id" not in client.session


def test_login_lockout_after_repeated_failures(client, smtp, settings):
    settings.MOTCUA_LOGIN_MAX_FAILURES = 3
    register(client)
    verify(client, smtp.code_for("anh.nguyen@example.vn"))
    client.post("/tai-khoan/dang-xuat/")
    first = client.post("/tai-khoan/dang-nhap/", {"login": "anh.nguyen@example.vn", "password": "sai-mat-khau"})
    assert first.status_code == 400
    assert "Thư điện tử/số điện thoại hoặc mật khẩu không đúng. Còn 2 lần thử" in text(first)
    assert 'aria-describedby="login-error"' in text(first)
    for _ in range(2):
        client.post("/tai-khoan/dang-nhap/", {"login": "anh.nguyen@example.vn", "password": "sai-mat-khau"})
    locked = client.post("/tai-khoan/dang-nhap/", {"login": "anh.nguyen@example.vn", "password": PASSWORD})
    assert locked.status_code == 400 and "Tài khoản tạm khóa do đăng nhập sai nhiều lần" in text(locked)
    assert "_auth_user_id" not in client.session


def test_unknown_login_gets_the_same_answer(client):
    response = client.post("/tai-khoan/dang-nhap/", {"login": "ai.do@example.vn", "password": PASSWORD})
    assert response.status_code == 400 and "hoặc mật khẩu không đúng" in text(response)


def test_password_reset_does_not_reveal_accounts_and_lifts_the_lock(client, smtp, settings):
    settings.MOTCUA_LOGIN_MAX_FAILURES = 2
    register(client)
    verify(client, smtp.code_for("anh.nguyen@example.vn"))
    client.post("/tai-khoan/dang-xuat/")
    for _ in range(2):
        client.post("/tai-khoan/dang-nhap/", {"login": "anh.nguyen@example.vn", "password": "sai-mat-khau"})

    answers = []
    for login in ("anh.nguyen@example.vn", "khong.co@example.vn"):
        response = client.post("/tai-khoan/quen-mat-khau/", {"step": "login", "login": login}, follow=True)
        answers.append(same_page(response, login))
        refused = client.post("/tai-khoan/quen-mat-khau/?buoc=ma", {
            "step": "code", "login": login, "code": "000000", "password": "Mat-khau-moi-2025",
            "password2": "Mat-khau-moi-2025"})
        answers.append(same_page(refused, login))
        assert refused.status_code == 400
    assert answers[0] == answers[2] and answers[1] == answers[3]  # word for word the same
    assert "Nếu địa chỉ này có tài khoản" in answers[0] and "Mã không đúng" in answers[1]
    delivery.wait_for_background()
    assert len(smtp.to("khong.co@example.vn")) == 0
    code = smtp.code_for("anh.nguyen@example.vn")
    assert smtp.to("anh.nguyen@example.vn")[-1]["Subject"].strip() == "Mã đặt lại mật khẩu Cổng dịch vụ công"

    weak = client.post("/tai-khoan/quen-mat-khau/?buoc=ma", {
        "step": "code", "login": "anh.nguyen@example.vn", "code": code, "password": "123", "password2": "123"})
    assert weak.status_code == 400 and "Mật khẩu quá ngắn" in text(weak)
    done = client.post("/tai-khoan/quen-mat-khau/?buoc=ma", {
        "step": "code", "login": "anh.nguyen@example.vn", "code": code, "password": "Mat-khau-moi-2025",
        "password2": "Mat-khau-moi-2025"})
    assert done.status_code == 302 and done["Location"] == "/tai-khoan/dang-nhap/"
    signed_in = client.post("/tai-khoan/dang-nhap/", {"login": "anh.nguyen@example.vn", "password": "Mat-khau-moi-2025"})
    assert signed_in.status_code == 302
    # the code is spent
    assert not OneTimeCode.objects.exists()


def test_profile_edits_contact_details_and_refuses_bad_ones(client, smtp):
    register(client)
    verify(client, smtp.code_for("anh.nguyen@example.vn"))
    bad = client.post("/tai-khoan/ho-so-ca-nhan/", {"address": "", "phone": "12", "email": "x@"})
    assert bad.status_code == 400
    for message in ("Nhập địa chỉ.", "Số điện thoại di động gồm 10 chữ số", "Địa chỉ thư điện tử không hợp lệ"):
        assert message in text(bad)
    assert Applicant.objects.get().address == "Số 5 Trần Phú, xã Đồng Tâm"
    ok = client.post("/tai-khoan/ho-so-ca-nhan/", {"address": "Thôn 3, xã Đồng Tâm", "phone": "+84 987 654 321",
                                                   "email": ""})
    assert ok.status_code == 302
    applicant = Applicant.objects.get()
    assert (applicant.address, applicant.phone, applicant.email) == ("Thôn 3, xã Đồng Tâm", "0987654321", "")
    none = client.post("/tai-khoan/ho-so-ca-nhan/", {"address": "Thôn 3", "phone": "", "email": ""})
    assert none.status_code == 400 and "Cần ít nhất một cách liên lạc" in text(none)


def test_staff_user_cannot_use_the_portal_login(client, smtp):
    from tests.factories import dossier_world

    world = dossier_world()
    response = client.post("/tai-khoan/dang-nhap/", {"login": world.receptionist.username, "password": "x"})
    assert response.status_code == 400
    client.force_login(world.receptionist)
    assert client.get("/tai-khoan/ho-so-ca-nhan/").status_code == 403


@pytest.mark.parametrize("typed, kept", [
    ("0912345678", "0912345678"), ("+84 912 345 678", "0912345678"), ("84912345678", "0912345678"),
    ("0912.345.678", "0912345678"), ("(091) 234-5678", "0912345678"), ("0387654321", "0387654321"),
])
def test_phone_numbers_are_kept_in_one_form(typed, kept):
    from motcua.applicants.contact import normalize_phone

    assert normalize_phone(typed) == kept


@pytest.mark.parametrize("typed", ["0212345678", "091234567", "09123456789", "+1 912 345 678", "số điện thoại"])
def test_not_mobile_numbers_are_refused(typed):
    from motcua.applicants.contact import ContactError, normalize_phone

    with pytest.raises(ContactError, match="Số điện thoại di động gồm 10 chữ số"):
        normalize_phone(typed)


def test_login_next_must_stay_on_the_site(client, smtp):
    register(client)
    verify(client, smtp.code_for("anh.nguyen@example.vn"))
    client.post("/tai-khoan/dang-xuat/")
    response = client.post("/tai-khoan/dang-nhap/", {"login": "anh.nguyen@example.vn", "password": PASSWORD,
                                                     "next": "https://ke-gia-mao.example/"})
    assert response.status_code == 302 and "ke-gia-mao" not in response["Location"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_registrations_at_once_make_one_account(smtp):
    """On PostgreSQL (SQLite's in-memory test database cannot be shared by threads; SQLite serialises
    writers anyway): both find no account, both insert, the unique login lets one through."""
    from django.db import connection as conn

    if conn.vendor != "postgresql":
        pytest.skip("concurrent writers are tested on PostgreSQL")
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connection

    from motcua.applicants import services

    outcomes, barrier = [], threading.Barrier(2)

    def attempt(name):
        try:
            barrier.wait(5)
            services.register(services.Registration(
                kind="citizen", login="anh.nguyen@example.vn", password=PASSWORD, password2=PASSWORD,
                full_name=name, cccd="038190012345", date_of_birth=dt.date(1990, 3, 4), address="Đồng Tâm"))
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("Nguyễn Thị Ánh", "Nguyễn Thị Ánh Hai")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert "ok" in outcomes and all(o == "ok" or "đã được dùng" in o for o in outcomes), outcomes
    assert Account.objects.count() == 1 and User.objects.count() == 1 and OneTimeCode.objects.count() == 1
