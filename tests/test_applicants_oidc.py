"""Signing in through an identity provider speaking OpenID Connect (authorization code + PKCE), against
a local fake provider over real HTTP: the happy path creates or links the applicant by CCCD; wrong
state, wrong nonce, a bad signature, an expired token, a wrong audience or issuer are refused with a
Vietnamese message and sign nobody in."""

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from motcua.accounts.models import Applicant, ApplicantKind, User
from motcua.accounts.services import ApplicantData, register_applicant
from motcua.applicants.models import ExternalIdentity
from tests.test_applicants_fakes import follow_authorize, oidc  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def start(client, next_url=""):
    response = client.post("/tai-khoan/dinh-danh/oidc/", {"next": next_url})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def come_back(client, location):
    url = urlsplit(location)
    return client.get(url.path, parse_qs(url.query))


def sign_in(client, next_url=""):
    return come_back(client, follow_authorize(start(client, next_url)))


def signed_in(client):
    return "_auth_user_id" in client.session


def test_login_page_offers_the_provider(client, oidc):
    page = client.get("/tai-khoan/dang-nhap/").content.decode()
    assert "Đăng nhập bằng VNeID (thử nghiệm)" in page


def test_authorize_request_carries_state_nonce_and_pkce(client, oidc):
    location = start(client)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert location.startswith(oidc.issuer + "/authorize?")
    assert query["response_type"] == "code" and query["client_id"] == oidc.CLIENT_ID
    assert query["redirect_uri"] == "http://127.0.0.1:8000/tai-khoan/dinh-danh/oidc/ve/"
    assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    kept = client.session["applicants_oidc_oidc"]
    assert query["code_challenge"] == base64.urlsafe_b64encode(
        hashlib.sha256(kept["verifier"].encode()).digest()).rstrip(b"=").decode()


def test_first_login_creates_the_applicant_and_the_second_finds_it(client, oidc):
    response = sign_in(client, "/tai-khoan/ho-so-ca-nhan/")
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/ho-so-ca-nhan/"
    assert signed_in(client)
    applicant = Applicant.objects.get()
    assert (applicant.kind, applicant.cccd, applicant.full_name, str(applicant.date_of_birth)) == (
        ApplicantKind.CITIZEN, "001090012345", "Trần Văn Bình", "1990-05-17")
    assert not applicant.user.has_usable_password() and applicant.user.portal_account.verified_at
    request, = oidc.token_requests
    assert request["form"]["grant_type"] == "authorization_code" and request["form"]["code_verifier"]
    assert client.get("/tai-khoan/ho-so-ca-nhan/").status_code == 200

    client.post("/tai-khoan/dang-xuat/")
    assert sign_in(client).status_code == 302 and signed_in(client)
    assert Applicant.objects.count() == 1 and User.objects.count() == 1 and ExternalIdentity.objects.count() == 1


def test_links_the_desk_applicant_by_cccd(client, oidc):
    desk = register_applicant(ApplicantData(ApplicantKind.CITIZEN, "Trần Văn Bình", cccd="001090012345",
                                            address="Ghi tại quầy"))
    sign_in(client)
    desk.refresh_from_db()
    assert desk.user is not None and Applicant.objects.count() == 1 and desk.address == "Ghi tại quầy"


def test_replayed_return_is_refused(client, oidc):
    back = follow_authorize(start(client))
    assert come_back(client, back).status_code == 302
    client.post("/tai-khoan/dang-xuat/")
    replay = come_back(client, back)
    assert replay.status_code == 400 and "Phiên đăng nhập đã hết hạn hoặc không hợp lệ" in replay.content.decode()


def test_wrong_state_is_refused(client, oidc):
    back = follow_authorize(start(client))
    url = urlsplit(back)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    response = client.get(url.path, {**query, "state": "gia-mao"})
    assert response.status_code == 400 and "state không khớp" in response.content.decode()
    assert not signed_in(client) and not User.objects.exists() and not oidc.token_requests


@pytest.mark.parametrize("tamper, message", [
    ({"nonce": "nonce-cua-lan-khac"}, "nonce không khớp"),
    ({"foreign_key": True}, "Chữ ký của mã định danh (id_token) không hợp lệ."),
    ({"exp": -3600}, "đã hết hạn"),
    ({"aud": "ung-dung-khac"}, "không được cấp cho cổng dịch vụ công này"),
    ({"iss": "http://ke-gia-mao.example"}, "không do nhà cung cấp đã cấu hình cấp"),
])
def test_bad_id_tokens_are_refused(client, oidc, tamper, message):
    oidc.tamper = tamper
    response = sign_in(client)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert not signed_in(client) and not User.objects.exists() and not Applicant.objects.exists()


def test_missing_cccd_claim_and_provider_cancel(client, oidc):
    oidc.claims = {"sub": "vneid-0002", "name": "Không Có Số"}
    response = sign_in(client)
    assert response.status_code == 400 and "số căn cước công dân hợp lệ" in response.content.decode()
    location = start(client)
    state = parse_qs(urlsplit(location).query)["state"][0]
    cancelled = client.get("/tai-khoan/dinh-danh/oidc/ve/", {"error": "access_denied", "state": state})
    assert cancelled.status_code == 400 and "đã hủy đăng nhập" in cancelled.content.decode()
    assert not User.objects.exists()


def test_wrong_client_secret_and_provider_down(client, oidc, settings):
    settings.MOTCUA_OIDC_CLIENT_SECRET = "sai"
    response = sign_in(client)
    assert response.status_code == 400 and "HTTP 401, invalid_client" in response.content.decode()
    settings.MOTCUA_OIDC_ISSUER = "http://127.0.0.1:9"
    down = client.post("/tai-khoan/dinh-danh/oidc/", {})
    assert down.status_code == 502 and "Không kết nối được tới nhà cung cấp định danh" in down.content.decode()
    assert not User.objects.exists()


def test_disabled_provider_is_404(client, settings):
    settings.MOTCUA_IDENTITY_PROVIDERS = ""
    assert client.post("/tai-khoan/dinh-danh/oidc/").status_code == 404
    assert client.get("/tai-khoan/dinh-danh/oidc/ve/").status_code == 404
