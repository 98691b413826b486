"""The REST API under /api/v1 through real requests (Django's test Client): a whole life, auth,
the error body, visibility, filters and pagination, the OpenAPI document, and schemathesis."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import factories
from motcua.api.models import ApiToken
from motcua.api.tokens import create_token, hash_token
from motcua.calendar import Duration
from motcua.dossiers import services as s
from motcua.dossiers.ledger import verify
from motcua.dossiers.models import Dossier, LedgerEvent

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
BASE = "/api/v1"
ERROR_KEYS = {"code", "message", "field", "details"}


# --- helpers ---------------------------------------------------------------------------------------


class Api:
    """Requests as one user, with a bearer token (or with a session when ``token`` is None)."""

    def __init__(self, token: str | None, client: Client | None = None):
        self.token, self.client = token, client or Client()

    def _headers(self, extra=None):
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path, **params):
        return self.client.get(BASE + path, params, headers=self._headers())

    def post(self, path, body=None, headers=None):
        """JSON body (a dict) — or no body at all."""
        if body is None:
            return self.client.generic("POST", BASE + path, b"", headers=self._headers(headers))
        return self.client.post(BASE + path, json.dumps(body), content_type="application/json",
                                headers=self._headers(headers))

    def multipart(self, path, data=None, files=(), file_field="files", headers=None):
        form = {}
        if data is not None:
            form["data"] = json.dumps(data)
        if files:
            form[file_field] = [SimpleUploadedFile(name, content) for name, content in files]
            if file_field == "file":
                form["file"] = form["file"][0]
        return self.client.post(BASE + path, form, headers=self._headers(headers))


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json()


def error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
    err = body["error"]
    assert isinstance(err["message"], str) and err["message"] and isinstance(err["details"], list)
    if code is not None:
        assert err["code"] == code, err
    return err


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@contextmanager
def clock(moment: dt.datetime):
    """Move the wall clock (timezone.now) to ``moment``: the API has no ``at``; time passes instead."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def w():
    world = factories.dossier_world(supplement_rule="pause")
    world.tokens = {name: create_token(getattr(world, name), f"test {name}")[1]
                    for name in ("citizen", "receptionist", "specialist", "specialist2", "leader", "clerk",
                                 "outsider", "outsider_leader")}
    world.api = {name: Api(token) for name, token in world.tokens.items()}
    return world


def another_citizen():
    from motcua.accounts.services import ApplicantData, create_staff, register_applicant

    applicant = register_applicant(ApplicantData("citizen", "Lê Văn Cường", cccd="001095000111"))
    user = create_staff("congdan-khac", "Lê Văn Cường", factories.PASSWORD, [], check_password=False)
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    applicant.user = user
    applicant.save(update_fields=["user"])
    return user


def submit(w, key=None, api=None) -> dict:
    doc = w.variant.documents.get(order=1)
    data = {"variant_id": w.variant.pk, "contact_email": "hoa@example.vn",
            "documents": [{"name": "Đơn đề nghị", "required_id": doc.pk, "file_index": 0}]}
    headers = {"Idempotency-Key": key} if key else None
    response = (api or w.api["citizen"]).multipart("/dossiers", data, files=[("don.pdf", PDF)], headers=headers)
    assert response.status_code in (200, 201), response.content
    return response.json()


def received(w) -> dict:
    d = submit(w)
    return ok(w.api["receptionist"].post(f"/dossiers/{d['reference']}/accept", {"version": d["version"]}))


# --- the whole life ---------------------------------------------------------------------------------


def test_a_whole_life_through_the_api(w):
    citizen, desk, specialist, leader, clerk = (w.api[n] for n in ("citizen", "receptionist", "specialist",
                                                                   "leader", "clerk"))
    # submit online with a PDF; the same Idempotency-Key again hands back the same dossier
    d = submit(w, key="life-0001-abcdef")
    assert (d["state"], d["national_status"], d["national_channel"], d["code"]) == ("submitted", 1, 2, None)
    assert d["documents"][0]["has_file"] and d["documents"][0]["content_type"] == "application/pdf"
    again = submit(w, key="life-0001-abcdef")
    assert again["reference"] == d["reference"] and Dossier.objects.count() == 1
    ref = d["reference"]

    # receive: a code, the tracking book, and the due instant = start + 5 working days
    d = ok(desk.post(f"/dossiers/{ref}/accept", {"version": d["version"]}))
    row = Dossier.objects.get(reference=ref)
    cal = s.calendar_of(row)
    received_at = parse(d["received_at"])
    assert d["code"] == row.code and d["code"].startswith(w.tree["province"].identifier + "-")
    assert (d["state"], d["national_status"], d["book_number"]) == ("received", 2, 1)
    assert parse(d["due_at"]) == parse(d["original_due_at"]) == cal.due(received_at, Duration(5, "working_days"))
    assert d["time_limit"] == {"value": "5", "unit": "working_days"} and d["overdue"] is False
    code = d["code"]

    d = ok(desk.post(f"/dossiers/{code}/forward", {"version": d["version"]}))
    assert d["state"] == "processing" and d["steps"][-1]["unit"]["identifier"] == w.tree["justice"].identifier
    d = ok(specialist.post(f"/dossiers/{code}/claim", {"version": d["version"]}))
    assert d["steps"][-1]["assignee"]["username"] == w.specialist.username
    d = ok(specialist.post(f"/dossiers/{code}/request-supplement", {
        "version": d["version"], "items": [{"name": "Bản sao giấy tờ tùy thân", "kind": "copy"}],
        "reason": "Thiếu bản sao giấy tờ tùy thân"}))
    assert (d["state"], d["national_status"]) == ("awaiting_supplement", 5)
    due_before_pause = parse(d["due_at"])
    requested_at = parse(d["supplements"][0]["requested_at"])

    # the applicant supplements one working day later: the clock was stopped meanwhile
    with clock(cal.due(requested_at, Duration(1, "working_days"))):
        d = ok(citizen.multipart(f"/dossiers/{code}/record-supplement", {
            "version": d["version"],
            "documents": [{"name": "Bản sao giấy tờ tùy thân", "kind": "copy", "file_index": 0}]},
            files=[("cccd.png", PNG)]))
        completed_at = parse(d["supplements"][0]["completed_at"])
        paused = cal.working_seconds(requested_at, completed_at)
        assert paused == cal.seconds_of(Duration(1, "working_days"))
        assert d["state"] == "processing"
        due_after_pause = parse(d["due_at"])
        assert due_after_pause == cal.due(received_at, Duration(5, "working_days"),
                                          pauses=[(requested_at, completed_at)])
        assert cal.working_seconds(due_before_pause, due_after_pause) == paused  # moved by exactly the pause
        assert parse(d["original_due_at"]) == due_before_pause

        d = ok(specialist.post(f"/dossiers/{code}/forward", {"version": d["version"], "note": "Đủ điều kiện"}))
        assert d["steps"][-1]["role"] == "leader"
        # Mẫu 04: apology with a new appointment two working days later — once only
        d = ok(leader.post(f"/dossiers/{code}/apologise", {
            "version": d["version"], "reason": "Chờ kết quả xác minh",
            "extension": {"value": "2", "unit": "working_days"}}))
        new_due = parse(d["due_at"])
        assert new_due == cal.due(due_after_pause, Duration(2, "working_days"))
        assert parse(d["extension"]["previous_due_at"]) == due_after_pause
        assert parse(d["extension"]["new_due_at"]) == new_due and parse(d["original_due_at"]) == due_before_pause
        error(leader.post(f"/dossiers/{code}/apologise", {
            "version": d["version"], "reason": "Lần nữa", "extension": {"value": "1", "unit": "working_days"}}),
            422, "second_apology")
        d = ok(leader.post(f"/dossiers/{code}/approve", {"version": d["version"]}))
        assert d["steps"][-1]["role"] == "clerk"

    # the result comes late: an hour after the new due instant
    late = new_due + dt.timedelta(hours=1)
    with clock(late):
        detail = ok(clerk.get(f"/dossiers/{code}"))
        assert detail["overdue"] is True
        listed = ok(desk.get("/dossiers", overdue="true"))
        assert [x["code"] for x in listed["items"]] == [code]
        d = ok(clerk.multipart(f"/dossiers/{code}/issue-result",
                               {"version": d["version"], "number": "123/GP-STP", "file_name": "Giấy phép"},
                               files=[("giay-phep.pdf", PDF)], file_field="file"))
        assert (d["state"], d["national_status"], d["outcome"]) == ("result_ready", 9, "granted")
        assert parse(d["finished_at"]) == late > parse(d["due_at"])  # finished after the due instant: late
        assert d["overdue"] is False  # finished dossiers are never overdue
    with clock(late + dt.timedelta(minutes=30)):
        d = ok(desk.post(f"/dossiers/{code}/return-result", {"version": d["version"], "method": "desk",
                                                             "originals_returned": True}))
    assert (d["state"], d["national_status"], d["current_step"]) == ("returned", 10, None)
    assert [x["outcome"] for x in d["steps"]] == ["forwarded", "forwarded", "approved", "issued", "returned"]
    assert d["steps"][3]["on_time"] is False  # the clerk's step finished after its due instant
    assert {x["stage"] for x in d["documents"]} == {"intake", "supplement", "result"}

    # the ledger, through the API and in the database
    events = ok(citizen.get(f"/dossiers/{code}/events"))
    assert [e["type"] for e in events] == [
        "submitted", "accepted", "forwarded", "claimed", "supplement_requested", "supplement_recorded",
        "forwarded", "apologised", "approved", "result_issued", "result_returned"]
    assert [e["seq"] for e in events] == list(range(1, 12))
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:]))
    assert events[4]["reason"] == "Thiếu bản sao giấy tờ tùy thân" and events[1]["actor_name"]
    # before/after as JSON objects: the changed dossier fields, and only the changed child rows by primary key
    forwarded = events[2]
    assert (forwarded["before"]["dossier"]["state"], forwarded["after"]["dossier"]["state"]) == ("received",
                                                                                                   "processing")
    assert len(forwarded["after"]["steps"]) == 2 and list(forwarded["before"]["steps"].values()).count(None) == 1
    assert "documents" not in forwarded["after"] and "fees" not in forwarded["after"]
    assert verify() == []


# --- authentication --------------------------------------------------------------------------------


def test_token_auth_and_revocation(w):
    desk = w.api["receptionist"]
    assert ok(desk.get("/dossiers"))["count"] == 0
    token = ApiToken.objects.get(user=w.receptionist)
    secret = w.tokens["receptionist"]
    assert token.key_hash == hash_token(secret) and secret not in {token.prefix, token.key_hash, token.name}
    assert token.last_used_at is not None
    err = error(Api(None).get("/dossiers"), 401, "unauthenticated")
    assert err["field"] is None and err["details"] == []
    response = Api("mct_00000000_not-a-real-token").get("/dossiers")
    error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    out, err_out = io.StringIO(), io.StringIO()
    call_command("apitoken", "revoke", token.prefix, stdout=out)
    assert token.prefix in out.getvalue()
    error(desk.get("/dossiers"), 401, "invalid_token")
    error(desk.post(f"/dossiers/{submit(w)['reference']}/accept"), 401, "invalid_token")

    # a fresh token from the command works; the secret is printed once and never listed
    call_command("apitoken", "create", w.receptionist.username, "--name", "Cổng tích hợp", stdout=out,
                 stderr=err_out)
    fresh = out.getvalue().strip().splitlines()[-1]
    assert fresh.startswith("mct_") and ok(Api(fresh).get("/dossiers"))["count"] == 1
    listing = io.StringIO()
    call_command("apitoken", "list", stdout=listing)
    assert fresh not in listing.getvalue() and "đã thu hồi" in listing.getvalue()
    assert ApiToken.objects.filter(key_hash=hash_token(fresh)).exists()

    expired, raw = create_token(w.receptionist, "hết hạn", expires_at=timezone.now() + dt.timedelta(minutes=5))
    with clock(timezone.now() + dt.timedelta(hours=1)):
        error(Api(raw).get("/dossiers"), 401, "invalid_token")
    w.receptionist.is_active = False
    w.receptionist.save(update_fields=["is_active"])
    error(Api(fresh).get("/dossiers"), 401, "invalid_token")


def test_admin_lists_tokens_read_only_and_revokes(w, client):
    from motcua.accounts.models import User

    client.force_login(User.objects.create_superuser("quantri", "", "x-Secret-123"))
    token = ApiToken.objects.get(user=w.clerk)
    page = client.get("/admin/api/apitoken/")
    assert page.status_code == 200 and token.prefix in page.content.decode()
    assert w.tokens["clerk"] not in page.content.decode() and token.key_hash not in page.content.decode()
    assert client.get("/admin/api/apitoken/add/").status_code == 403
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert not token.is_active and token.revoked_at is not None
    error(w.api["clerk"].get("/dossiers"), 401, "invalid_token")
    client.force_login(w.receptionist)  # staff, not a superuser: no token admin
    assert client.get("/admin/api/apitoken/").status_code == 403


def test_session_auth_with_csrf(w):
    ref = submit(w)["reference"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(w.receptionist)
    session = Api(None, browser)
    assert ok(session.get("/dossiers"))["count"] == 1
    error(session.post(f"/dossiers/{ref}/accept", {}), 403, "csrf")
    assert Dossier.objects.get(reference=ref).state == "submitted"
    browser.get("/admin/")  # any page of the web UI with a form hands out the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    d = ok(session.post(f"/dossiers/{ref}/accept", {}, headers={"X-CSRFToken": csrf}))
    assert d["state"] == "received"
    # without a session, an unsafe request is 401 (not a CSRF refusal)
    error(Api(None, Client(enforce_csrf_checks=True)).post(f"/dossiers/{ref}/forward", {}), 401, "unauthenticated")


# --- the error body ---------------------------------------------------------------------------------


def test_every_error_status_has_the_documented_body(w):
    d = submit(w)
    ref = d["reference"]
    error(Api(None).get(f"/dossiers/{ref}"), 401, "unauthenticated")
    error(w.api["specialist"].post(f"/dossiers/{ref}/accept", {}), 403, "forbidden")  # sees it, may not receive
    error(w.api["receptionist"].get("/dossiers/000.00.00.H00-250101-0001"), 404, "not_found")
    error(w.api["receptionist"].get("/dossiers/not-a-code"), 404, "not_found")
    error(w.api["receptionist"].get("/catalog/procedures/9.999999"), 404, "not_found")
    # 409: acting on a stale view
    d = ok(w.api["receptionist"].post(f"/dossiers/{ref}/accept", {"version": d["version"]}))
    err = error(w.api["receptionist"].post(f"/dossiers/{ref}/forward", {"version": d["version"] - 1}), 409,
                "conflict")
    assert "cập nhật" in err["message"]
    # 409: the step is already someone else's
    d = ok(w.api["receptionist"].post(f"/dossiers/{ref}/forward", {"version": d["version"]}))
    ok(w.api["specialist"].post(f"/dossiers/{ref}/claim"))
    error(w.api["specialist2"].post(f"/dossiers/{ref}/claim"), 409, "conflict")
    # 422 from validation: every problem listed, with its field
    err = error(w.api["leader"].post(f"/dossiers/{ref}/apologise", {
        "version": "x", "extension": {"value": "-1", "unit": "fortnights"}}), 422, "validation")
    fields = {item["field"] for item in err["details"]}
    assert {"version", "reason", "extension.value", "extension.unit"} <= fields
    assert all(set(item) == {"field", "code", "message"} for item in err["details"])
    assert err["field"] in fields and err["message"].startswith("Dữ liệu gửi lên không hợp lệ")
    error(w.api["receptionist"].get("/dossiers", page_size=101), 422, "validation")
    error(w.api["receptionist"].post(f"/dossiers/{ref}/withdraw", {"reason": "a\x00b"}), 422, "validation")
    # 422 from a rule of the service (wrong state), with its stable code
    err = error(w.api["leader"].post(f"/dossiers/{ref}/approve", {}), 422, "not_approval_step")
    assert err["details"] == []
    error(w.api["receptionist"].post(f"/dossiers/{ref}/accept", {}), 422, "wrong_state")
    # 400: a body that is not JSON
    response = w.api["receptionist"].client.post(f"{BASE}/dossiers/{ref}/forward", "{not json",
                                                 content_type="application/json",
                                                 headers={"Authorization": f"Bearer {w.tokens['receptionist']}"})
    error(response, 400, "bad_request")
    assert LedgerEvent.objects.filter(dossier__reference=ref).count() == 4  # refusals left nothing behind


def test_another_unit_neither_sees_nor_acts_until_it_has_a_task(w):
    d = received(w)
    outsider = w.api["outsider"]
    error(outsider.get(f"/dossiers/{d['code']}"), 404)
    error(outsider.get(f"/dossiers/{d['reference']}/events"), 404)
    error(outsider.post(f"/dossiers/{d['code']}/forward", {}), 404)
    assert ok(outsider.get("/dossiers"))["count"] == 0
    other = Api(create_token(another_citizen(), "another citizen")[1])
    assert ok(other.get("/dossiers"))["count"] == 0
    error(other.get(f"/dossiers/{d['code']}"), 404)
    # inter-agency: the construction department gets a task, and with it the dossier
    desk, specialist = w.api["receptionist"], w.api["specialist"]
    d = ok(desk.post(f"/dossiers/{d['code']}/forward", {"version": d["version"]}))
    d = ok(specialist.post(f"/dossiers/{d['code']}/claim", {"version": d["version"]}))
    d = ok(specialist.post(f"/dossiers/{d['code']}/transfer", {"version": d["version"], "mode": "sequential", "tasks": [
        {"unit": w.tree["construction"].identifier, "task": "Thẩm định kỹ thuật",
         "duration": {"value": "1", "unit": "working_days"}}]}))
    task = d["tasks"][0]
    assert task["state"] == "active" and parse(task["due_at"]) == s.calendar_of(
        Dossier.objects.get(code=d["code"])).due(parse(task["created_at"]), Duration(1, "working_days"))
    error(specialist.post(f"/dossiers/{d['code']}/tasks/{task['id']}/complete", {"answer": "Đạt"}), 403)
    assert ok(outsider.get(f"/dossiers/{d['code']}"))["tasks"][0]["id"] == task["id"]
    d = ok(outsider.post(f"/dossiers/{d['code']}/tasks/{task['id']}/complete", {"answer": "Đạt yêu cầu"}))
    assert d["tasks"][0]["state"] == "done"
    error(outsider.post(f"/dossiers/{d['code']}/tasks/999999/complete", {"answer": "x"}), 404)


def test_desk_registration_intake_supplement_refusal_payments_and_endings(w):
    desk, leader = w.api["receptionist"], w.api["leader"]
    data = {"desk_id": w.desk.pk, "variant_id": w.variant.pk, "channel": "in_person",
            "applicant": {"kind": "citizen", "full_name": "Trần Văn Bình", "cccd": "001090012345"},
            "documents": [{"name": "Đơn đề nghị", "file_index": 0}, {"name": "Bản sao CCCD", "kind": "copy"}]}
    d = ok(desk.multipart("/dossiers/register", data, files=[("scan.pdf", PDF)]), 201)
    assert (d["channel"], d["national_channel"], d["applicant"]["full_name"]) == ("in_person", 1, "Trần Văn Bình")
    assert [x["has_file"] for x in d["documents"]] == [True, False]
    # the same person again is found by CCCD, not registered twice
    again = ok(desk.multipart("/dossiers/register", data, files=[("scan.pdf", PDF)]), 201)
    assert again["applicant"]["id"] == d["applicant"]["id"]
    error(desk.multipart("/dossiers/register", data, files=[("a.pdf", PDF), ("b.pdf", PDF)]), 422, "file_unused")
    error(desk.multipart("/dossiers/register", {**data, "documents": [{"name": "X", "file_index": 0}]},
                         files=[("evil.pdf", b"MZ not a pdf")]), 422, "file_type")
    error(w.api["specialist"].multipart("/dossiers/register", {**data, "documents": [{"name": "Đơn"}]}), 403)

    ref = d["reference"]
    d = ok(desk.post(f"/dossiers/{ref}/request-intake-supplement", {
        "version": d["version"], "items": [{"name": "Đơn đề nghị đúng mẫu"}], "reason": "Sai mẫu đơn"}))
    assert d["state"] == "intake_supplement" and d["supplements"][0]["stage"] == "intake"
    d = ok(desk.multipart(f"/dossiers/{ref}/record-intake-supplement", {
        "version": d["version"], "documents": [{"name": "Đơn đề nghị đúng mẫu"}]}))
    assert d["state"] == "submitted"
    d = ok(desk.post(f"/dossiers/{ref}/refuse-intake", {"version": d["version"],
                                                         "reasons": ["Không thuộc thẩm quyền"]}))
    assert (d["state"], d["national_status"]) == ("intake_refused", 3)

    # fees: ask, record (idempotent), then the process goes on; then the leader stops it
    d = ok(desk.post(f"/dossiers/{again['reference']}/accept", {"documents": [{"name": "Bản chính đơn"}]}))
    assert d["documents"][-1]["name"] == "Bản chính đơn"
    code = d["code"]
    d = ok(desk.post(f"/dossiers/{code}/forward", {"version": d["version"]}))
    d = ok(w.api["specialist"].post(f"/dossiers/{code}/claim", {"version": d["version"]}))
    d = ok(w.api["specialist"].post(f"/dossiers/{code}/request-payment", {"version": d["version"]}))
    assert (d["state"], d["national_status"]) == ("awaiting_payment", 6)
    d = ok(desk.post(f"/dossiers/{code}/record-payment", {"amount": 50000, "method": "cash", "reference": "BL-01"}))
    assert (d["state"], d["fee_paid"], d["payments"][0]["reference"]) == ("processing", 50000, "BL-01")
    same = ok(desk.post(f"/dossiers/{code}/record-payment", {"amount": 50000, "method": "cash",
                                                              "reference": "BL-01"}))
    assert same["version"] == d["version"] and len(same["payments"]) == 1
    d = ok(w.api["specialist"].post(f"/dossiers/{code}/consult", {
        "unit": w.tree["construction"].identifier, "question": "Ý kiến về quy hoạch?",
        "duration": {"value": "4", "unit": "working_hours"}}))
    assert d["tasks"][0]["kind"] == "consultation"
    d = ok(w.api["specialist"].post(f"/dossiers/{code}/forward", {"version": d["version"]}))
    d = ok(leader.post(f"/dossiers/{code}/send-back", {"version": d["version"], "reason": "Xem lại"}))
    assert d["steps"][-1]["assignee"]["username"] == w.specialist.username
    d = ok(leader.post(f"/dossiers/{code}/assign", {"version": d["version"], "assignee": w.specialist.username}))
    error(leader.post(f"/dossiers/{code}/assign", {"assignee": "nobody-here"}), 422, "unknown_user")
    d = ok(leader.post(f"/dossiers/{code}/stop", {"version": d["version"], "reason": "Công dân đề nghị dừng"}))
    assert (d["state"], d["national_status"]) == ("stopped", 8)

    # the applicant withdraws their own online dossier; refusal through the leader; return of a refusal
    mine = received(w)
    d = ok(w.api["citizen"].post(f"/dossiers/{mine['code']}/withdraw", {"reason": "Không còn nhu cầu"}))
    assert (d["state"], d["national_status"]) == ("withdrawn", 7)
    d = received(w)
    d = ok(desk.post(f"/dossiers/{d['code']}/forward", {}))
    d = ok(w.api["specialist"].post(f"/dossiers/{d['code']}/forward", {}))
    d = ok(leader.post(f"/dossiers/{d['code']}/refuse", {"reasons": ["Không đủ điều kiện"]}))
    assert (d["state"], d["outcome"]) == ("refused", "refused")
    d = ok(desk.post(f"/dossiers/{d['code']}/return-result", {"method": "post"}))
    assert d["return_method"] == "post"
    assert verify() == []


def test_list_filters_and_pagination(w):
    desk = w.api["receptionist"]
    other_variant = factories.full_procedure(w.tree["construction"], code="2.000777")
    a = received(w)
    b = received(w)
    submitted = submit(w)
    in_person = ok(desk.multipart("/dossiers/register", {
        "desk_id": w.desk.pk, "variant_id": other_variant.pk, "applicant_id": w.applicant.pk,
        "documents": [{"name": "Đơn"}]}), 201)
    assert ok(desk.get("/dossiers"))["count"] == 4
    assert {x["reference"] for x in ok(desk.get("/dossiers", state="received"))["items"]} == {a["reference"],
                                                                                              b["reference"]}
    assert ok(desk.get("/dossiers", state=["received", "submitted"]))["count"] == 4
    assert [x["reference"] for x in ok(desk.get("/dossiers", channel="in_person"))["items"]] == [
        in_person["reference"]]
    assert ok(desk.get("/dossiers", procedure="2.000777"))["count"] == 1
    assert ok(desk.get("/dossiers", unit=w.tree["justice"].identifier))["count"] == 3
    assert ok(desk.get("/dossiers", unit=w.tree["province"].identifier))["count"] == 4  # units below included
    assert ok(desk.get("/dossiers", unit=w.tree["commune_a"].identifier))["count"] == 0
    error(desk.get("/dossiers", unit="000.99.99.H00"), 422, "unknown_unit")
    today = timezone.localdate()
    assert ok(desk.get("/dossiers", received_from=today.isoformat(), received_to=today.isoformat()))["count"] == 2
    assert ok(desk.get("/dossiers", received_to=(today - dt.timedelta(days=1)).isoformat()))["count"] == 0
    due = parse(a["due_at"])
    assert ok(desk.get("/dossiers", due_before=(due + dt.timedelta(seconds=1)).isoformat()))["count"] == 2
    assert ok(desk.get("/dossiers", due_before=due.isoformat()))["count"] == 0
    assert ok(desk.get("/dossiers", overdue="true"))["count"] == 0
    with clock(due + dt.timedelta(minutes=1)):
        overdue = ok(desk.get("/dossiers", overdue="true"))
        assert {x["reference"] for x in overdue["items"]} == {a["reference"], b["reference"]}
        assert all(x["overdue"] for x in overdue["items"])
        assert ok(desk.get("/dossiers", overdue="false"))["count"] == 2
    # pages: newest first, no row twice, the total in count
    first = ok(desk.get("/dossiers", page_size=3))
    second = ok(desk.get("/dossiers", page_size=3, page=2))
    assert (first["count"], len(first["items"]), len(second["items"])) == (4, 3, 1)
    order = [x["reference"] for x in first["items"] + second["items"]]
    assert order == [in_person["reference"], submitted["reference"], b["reference"], a["reference"]]
    assert ok(desk.get("/dossiers", page=3, page_size=3))["items"] == []
    # the applicant sees only their own dossiers (not the desk's other applicant's)
    mine = ok(w.api["citizen"].get("/dossiers"))
    assert mine["count"] == 4  # all four were lodged in Nguyễn Thị Hoà's name
    assert ok(w.api["outsider"].get("/dossiers"))["count"] == 1  # construction resolves the second procedure


def test_list_runs_a_constant_number_of_queries(w):
    desk = w.api["receptionist"]
    for _ in range(2):
        received(w)
    desk.get("/dossiers")  # warm the token's last_used_at
    with CaptureQueriesContext(connection) as few:
        ok(desk.get("/dossiers"))
    for _ in range(5):
        received(w)
    with CaptureQueriesContext(connection) as many:
        assert len(ok(desk.get("/dossiers"))["items"]) == 7
    assert len(many) == len(few) <= 4


def test_catalogue_search_and_detail(w):
    api = w.api["citizen"]
    code = w.variant.version.procedure.code
    factories.procedure(code="1.000555", name="Đăng ký khai sinh", published=False,  # a draft: not listed
                        competent_unit=w.tree["justice"])
    found = ok(api.get("/catalog/procedures", q="GIAY PHEP thu nghiem"))
    assert [p["code"] for p in found["items"]] == [code]
    assert ok(api.get("/catalog/procedures", q="khai sinh"))["count"] == 0
    assert ok(api.get("/catalog/procedures", sector="HOTICH", level="province"))["count"] == 1
    assert ok(api.get("/catalog/procedures", level="commune"))["count"] == 0
    detail = ok(api.get(f"/catalog/procedures/{code}"))
    variant = detail["version"]["variants"][0]
    assert variant["id"] == w.variant.pk and variant["time_limit"] == {"value": "5", "unit": "working_days"}
    assert [x["name"] for x in variant["documents"]] == ["Đơn đề nghị", "Bản sao giấy tờ tùy thân"]
    assert [x["role"] for x in variant["steps"]] == ["receptionist", "specialist", "leader", "clerk", "receptionist"]
    assert variant["fees"][0]["amount"] == 50000 and detail["version"]["legal_bases"] == []
    error(api.get("/catalog/procedures/1.000555"), 404)


# --- the OpenAPI document ------------------------------------------------------------------------------


def test_openapi_documents_every_operation_and_error(client):
    schema = client.get(f"{BASE}/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    error_ref = "#/components/schemas/ErrorOut"
    info = schema["components"]["schemas"]["ErrorInfo"]
    assert set(info["properties"]) == ERROR_KEYS
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) == 31  # 2 catalogue reads, 3 dossier reads, 2 downloads (forms, files), 24 commands
    for path, method, op in operations:
        responses = op["responses"]
        assert {"401", "422"} <= set(responses), (path, method)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"]["$ref"] == error_ref
        if method == "post":
            assert "403" in responses
            if "{ident}" in path:
                assert {"404", "409"} <= set(responses), path
            assert op["security"] == [{"BearerToken": []}, {"Session": []}]
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert client.get(f"{BASE}/docs").status_code == 404  # no CDN-loaded documentation page


# --- schemathesis -----------------------------------------------------------------------------------


def test_schemathesis_finds_no_server_error(w):
    """Stateless fuzzing of every operation with a receptionist's token: never a 5xx."""
    import hypothesis
    import schemathesis
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from schemathesis.checks import not_a_server_error

    d = received(w)
    app = WSGIHandler()
    # Like Django's test client: keep the test's database connection (and its transaction) open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi(f"{BASE}/openapi.json", app)
        headers = {"Authorization": f"Bearer {w.tokens['receptionist']}"}
        failures, calls = [], 0
        for result in schema.get_all_operations():
            operation = result.ok()

            @hypothesis.settings(max_examples=12, deadline=None, database=None, derandomize=True,
                                 suppress_health_check=list(hypothesis.HealthCheck),
                                 phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
            @hypothesis.given(case=operation.as_strategy())
            def run(case):
                nonlocal calls
                if "ident" in (case.path_parameters or {}) and calls % 2 == 0:
                    case.path_parameters["ident"] = d["code"]  # half the cases hit a real dossier
                calls += 1
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append((operation.label, response.status_code, response.text[:500]))
                case.validate_response(response, checks=[not_a_server_error], headers=headers)

            run()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not failures, failures
    assert calls >= 28 * 5


def test_invalid_applicant_identifiers_are_refused_and_nothing_is_saved(w):
    desk = w.api["receptionist"]
    before = (Dossier.objects.count(), LedgerEvent.objects.count())
    base = {"desk_id": w.desk.pk, "variant_id": w.variant.pk, "channel": "in_person",
            "documents": [{"name": "Đơn đề nghị"}]}
    for applicant in ({"kind": "citizen", "full_name": "Trần Văn Bình", "cccd": "999090012345"},  # no such province
                      {"kind": "citizen", "full_name": "Trần Văn Bình", "cccd": "03809001"},      # too short
                      {"kind": "organisation", "full_name": "Công ty A", "tax_code": "2801234565"}):  # check digit
        err = error(desk.multipart("/dossiers/register", {**base, "applicant": applicant}), 422)
        assert err["field"] or err["details"], err
    assert (Dossier.objects.count(), LedgerEvent.objects.count()) == before
