"""The outbox: queued in the command's transaction, delivered by the worker to a real SMTP server and
real HTTP endpoints, retried with backoff, dead letters visible and requeueable."""

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from motcua.accounts.models import User
from motcua.notify import messages
from motcua.notify.models import Channel, DeadLetter, OutboxMessage, Status, WebhookSubscription
from motcua.notify.services import DrainResult, clean_topics, drain, enqueue, retry_dead, retry_delay, topic_matches

pytestmark = pytest.mark.django_db

RECEIVED = {
    "code": "000.00.12.H56-250124-0001", "reference": "R-7Q4K2M", "procedure_name": "Đăng ký khai sinh",
    "applicant_name": "Nguyễn Thị Ánh Tuyết", "due_at": "2025-01-31T10:00:00+07:00",
    "lookup_url": "http://127.0.0.1:8000/tra-cuu/R-7Q4K2M", "unit_name": "Bộ phận Một cửa UBND xã Đồng Tâm",
}
T0 = dt.datetime(2099, 1, 24, 3, 0, tzinfo=dt.timezone.utc)  # a fixed clock, after every queued message


# --- real local servers ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Một cửa xã Đồng Tâm <motcua@dongtam.gov.vn>"
    yield inbox
    controller.stop()


class Endpoint:
    """A local HTTP server recording each POST; answers with ``statuses`` in turn (the last repeats)."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests = []
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with endpoint.lock:
                    endpoint.requests.append({"path": self.path, "headers": self.headers, "body": body})
                    status = endpoint.statuses.pop(0) if len(endpoint.statuses) > 1 else endpoint.statuses[0]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"server error")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    servers = []

    def start(statuses=(200,)):
        servers.append(Endpoint(statuses))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def subscribe(url, topics="*", **extra):
    return WebhookSubscription.objects.create(name="Cổng DVC quốc gia", url=url, topics=topics, **extra)


def queue(topic="dossier.received", payload=None, **kwargs):
    kwargs.setdefault("dossier_reference", "R-7Q4K2M")
    with transaction.atomic():
        return enqueue(topic, RECEIVED if payload is None else payload, **kwargs)


# --- enqueue ------------------------------------------------------------------------------------

def test_messages_exist_only_if_the_command_commits():
    subscribe("http://127.0.0.1:9/hook")
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            enqueue("dossier.received", RECEIVED, email="a@example.vn", phone="0912 345 678")
            assert OutboxMessage.objects.count() == 3
            1 / 0  # the dossier command fails after queueing
    assert OutboxMessage.objects.count() == 0
    queue(email="a@example.vn", phone="0912 345 678")
    assert OutboxMessage.objects.count() == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_enqueue_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError, match="transaction.atomic"):
        enqueue("dossier.received", RECEIVED, email="a@example.vn")
    assert OutboxMessage.objects.count() == 0


def test_enqueue_renders_and_stores_what_the_applicant_is_told():
    subscribe("http://a.example/hook", topics="*")
    subscribe("http://b.example/hook", topics="dossier.*")
    subscribe("http://c.example/hook", topics="dossier.result_ready")
    subscribe("http://d.example/hook", topics="*", is_active=False)
    rows = queue(email="tuyet@example.vn", phone="+84 912.345.678")
    by_channel = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    assert sorted(m.recipient for m in by_channel[Channel.WEBHOOK]) == ["http://a.example/hook", "http://b.example/hook"]
    mail, = by_channel[Channel.EMAIL]
    sms, = by_channel[Channel.SMS]
    assert mail.subject == "Tiếp nhận hồ sơ 000.00.12.H56-250124-0001"
    assert "Kính gửi Nguyễn Thị Ánh Tuyết," in mail.body
    assert "Thủ tục: Đăng ký khai sinh" in mail.body
    assert "Ngày hẹn trả kết quả: 10:00 ngày 31/01/2025" in mail.body
    assert "http://127.0.0.1:8000/tra-cuu/R-7Q4K2M" in mail.body
    assert sms.recipient == "+84912345678"
    assert sms.body.startswith("Hồ sơ 000.00.12.H56-250124-0001 đã được tiếp nhận, hẹn trả kết quả 10:00 ngày 31/01/2025.")
    for row in rows:
        row.refresh_from_db()
        assert row.status == Status.PENDING and row.attempts == 0 and row.dossier_reference == "R-7Q4K2M"
        assert row.payload["data"] == RECEIVED and row.payload["topic"] == "dossier.received"


@pytest.mark.parametrize("topic, payload, expected", [
    ("dossier.supplement_requested",
     {"code": "", "reference": "R-1", "procedure_name": "Cấp phép xây dựng", "reason": "Thiếu bản vẽ",
      "missing": ["Bản vẽ mặt bằng", "Giấy chứng nhận quyền sử dụng đất"]},
     ["Yêu cầu bổ sung hồ sơ R-1", "  - Bản vẽ mặt bằng", "Lý do: Thiếu bản vẽ"]),
    ("dossier.apology",
     {"code": "H56-1", "procedure_name": "Cấp phép xây dựng", "reason": "Chờ ý kiến của Sở Xây dựng",
      "new_due_at": "2025-02-10T16:30:00+07:00"},
     ["Thư xin lỗi", "chân thành xin lỗi", "Ngày hẹn trả kết quả mới: 16:30 ngày 10/02/2025"]),
    ("dossier.result_ready",
     {"code": "H56-1", "procedure_name": "Đăng ký khai sinh", "unit_name": "Bộ phận Một cửa xã Đồng Tâm"},
     ["Đã có kết quả hồ sơ H56-1", "Nơi nhận kết quả: Bộ phận Một cửa xã Đồng Tâm."]),
    ("dossier.refused",
     {"code": "", "reference": "R-2", "procedure_name": "Đăng ký khai sinh", "reason": "Không thuộc thẩm quyền"},
     ["Thông báo từ chối hồ sơ R-2", "Lý do: Không thuộc thẩm quyền"]),
])
def test_every_applicant_topic_has_a_vietnamese_text(topic, payload, expected):
    mail, = queue(topic, payload, email="a@example.vn")
    text = mail.subject + "\n" + mail.body
    for fragment in expected:
        assert fragment in text


def test_topics_without_a_template_are_webhooks_only():
    subscribe("http://a.example/hook")
    rows = queue("dossier.assigned", {"reference": "R-7Q4K2M"}, email="a@example.vn", phone="0912345678")
    assert [row.channel for row in rows] == [Channel.WEBHOOK]
    assert queue("dossier.withdrawn", {"reference": "R-7Q4K2M"}, email="a@example.vn")[0].channel == Channel.WEBHOOK


@pytest.mark.parametrize("topic, payload, kwargs, message", [
    ("dossier.received", {k: v for k, v in RECEIVED.items() if k != "code"}, {}, "lacks required keys: code"),
    ("dossier.received", {k: v for k, v in RECEIVED.items() if k != "due_at"}, {}, "due_at"),
    ("dossier.received", {**RECEIVED, "due_at": "2025-01-31T10:00:00"}, {}, "no time zone"),
    ("dossier.received", {**RECEIVED, "due_at": "thứ Sáu"}, {}, "not an ISO 8601"),
    ("dossier.supplement_requested", {"reference": "R", "procedure_name": "X", "reason": "Y", "missing": "bản vẽ"},
     {}, "list of non-empty strings"),
    ("dossier.refused", {"code": "", "reference": "", "procedure_name": "X", "reason": "Y"}, {}, "code|reference"),
    ("dossier.received", {**RECEIVED, "when": dt.date(2025, 1, 1)}, {}, "not JSON"),
    ("Dossier Received", RECEIVED, {}, "malformed topic"),
    ("dossier.received", RECEIVED, {"email": "không-phải-thư"}, "not an e-mail"),
    ("dossier.received", RECEIVED, {"phone": "09-abc"}, "not a phone"),
])
def test_bad_input_is_refused_and_writes_nothing(topic, payload, kwargs, message):
    subscribe("http://a.example/hook")
    with pytest.raises(ValueError, match=message):
        queue(topic, payload, **kwargs)
    assert OutboxMessage.objects.count() == 0


def test_applicant_topic_is_checked_even_without_an_address():
    with pytest.raises(ValueError, match="unit_name"):
        queue("dossier.result_ready", {"code": "H56-1", "procedure_name": "X"})


def test_topic_patterns():
    assert topic_matches(["*"], "dossier.received")
    assert topic_matches(["dossier.*"], "dossier.received") and not topic_matches(["dossier.*"], "dossierx.a")
    assert not topic_matches(["dossier.result_ready"], "dossier.received")
    assert clean_topics(" dossier.received,dossier.*, dossier.received ") == "dossier.received, dossier.*"
    with pytest.raises(ValueError, match="không hợp lệ"):
        clean_topics("dossier received")
    with pytest.raises(ValueError):
        clean_topics(" , ")


# --- delivery -----------------------------------------------------------------------------------

def test_email_reaches_a_real_smtp_server_with_vietnamese_intact(smtp):
    mail, = queue(email="tuyet@example.vn")
    assert drain() == DrainResult(sent=1)
    envelope, = smtp.envelopes
    assert envelope.rcpt_tos == ["tuyet@example.vn"] and envelope.mail_from == "motcua@dongtam.gov.vn"
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["Subject"].strip() == "Tiếp nhận hồ sơ 000.00.12.H56-250124-0001"
    assert received["From"] == "Một cửa xã Đồng Tâm <motcua@dongtam.gov.vn>"
    assert received["Message-ID"] == f"<motcua-outbox-{mail.pk}@dongtam.gov.vn>"  # same on every resend
    text = received.get_content()
    assert "Kính gửi Nguyễn Thị Ánh Tuyết," in text and "Bộ phận Một cửa UBND xã Đồng Tâm đã tiếp nhận" in text
    mail.refresh_from_db()
    assert mail.status == Status.SENT and mail.attempts == 1 and mail.sent_at is not None


def test_smtp_server_down_is_retried(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    mail, = queue(email="tuyet@example.vn")
    assert drain(now=T0) == DrainResult(retried=1)
    mail.refresh_from_db()
    assert mail.status == Status.PENDING and "ConnectionRefusedError" in mail.last_error


def test_webhook_is_signed_with_the_subscription_secret(endpoint):
    server = endpoint()
    subscription = subscribe(server.url, topics="dossier.received")
    hook, = queue()
    assert drain() == DrainResult(sent=1)
    request, = server.requests
    headers = request["headers"]
    assert headers["X-MotCua-Topic"] == "dossier.received"
    assert headers["X-MotCua-Delivery"] == str(hook.pk)
    expected = hmac.new(subscription.secret.encode(), request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-MotCua-Signature"], f"sha256={expected}")
    body = json.loads(request["body"].decode("utf-8"))
    assert body["topic"] == "dossier.received" and body["dossier_reference"] == "R-7Q4K2M"
    assert body["data"] == RECEIVED  # Vietnamese as UTF-8, exactly what was queued
    hook.refresh_from_db()
    assert hook.status == Status.SENT


def test_failing_endpoint_backs_off_then_becomes_a_dead_letter(settings, endpoint):
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 4
    server = endpoint([500])
    subscribe(server.url)
    hook, = queue()
    now, waits = T0, []
    for attempt in range(1, 4):
        assert drain(now=now) == DrainResult(retried=1)
        hook.refresh_from_db()
        assert hook.status == Status.PENDING and hook.attempts == attempt
        assert "HTTP 500" in hook.last_error and "server error" in hook.last_error
        waits.append(hook.next_attempt_at - now)
        assert waits[-1] == retry_delay(attempt, hook.pk)
        assert drain(now=hook.next_attempt_at - dt.timedelta(seconds=1)) == DrainResult()  # not due yet
        now = hook.next_attempt_at
    assert waits[0] >= dt.timedelta(seconds=30) and waits[1] >= 2 * waits[0] * 10 / 11 and waits[2] > waits[1]
    assert drain(now=now) == DrainResult(dead=1)
    hook.refresh_from_db()
    assert hook.status == Status.DEAD and hook.attempts == 4
    assert len(server.requests) == 4
    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [hook.pk]
    assert drain(now=now + dt.timedelta(days=30)) == DrainResult()  # dead letters are not retried


def test_connection_refused_is_retried():
    subscribe(f"http://127.0.0.1:{free_port()}/hook")
    hook, = queue()
    assert drain(now=T0) == DrainResult(retried=1)
    hook.refresh_from_db()
    assert "Không kết nối được" in hook.last_error and hook.next_attempt_at > T0


def test_backoff_doubles_and_is_capped(settings):
    delays = [retry_delay(n, 42).total_seconds() for n in range(1, 20)]
    assert 30 <= delays[0] <= 33
    for n, delay in enumerate(delays, start=1):
        assert delay <= 6 * 3600
        assert delay >= min(30 * 2 ** (n - 1), 6 * 3600)
    assert delays[-1] == 6 * 3600
    assert retry_delay(3, 42) == retry_delay(3, 42)  # deterministic


def test_retry_dead_requeues_to_the_fixed_url(settings, endpoint):
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 1
    broken = endpoint([500])
    subscription = subscribe(broken.url)
    hook, = queue()
    assert drain(now=T0) == DrainResult(dead=1)
    fixed = endpoint([200])
    subscription.url = fixed.url
    subscription.save()
    assert retry_dead([hook.pk, 999999]) == 1
    hook.refresh_from_db()
    assert hook.status == Status.PENDING and hook.attempts == 0 and hook.recipient == fixed.url
    assert drain() == DrainResult(sent=1)
    assert len(fixed.requests) == 1 and retry_dead([hook.pk]) == 0  # only dead letters are requeued


def test_inactive_or_deleted_subscription_is_dead_at_once(endpoint):
    server = endpoint()
    subscription = subscribe(server.url)
    first, = queue()
    second, = queue()
    subscription.is_active = False
    subscription.save()
    OutboxMessage.objects.filter(pk=second.pk).update(subscription=None)
    assert drain(now=T0) == DrainResult(dead=2)
    assert server.requests == []
    assert set(OutboxMessage.objects.values_list("last_error", flat=True)) == {
        "Đăng ký webhook đang tạm ngừng.", "Đăng ký webhook đã bị xóa."}


def test_two_drains_never_resend_a_delivered_message(endpoint):
    server = endpoint()
    subscribe(server.url)
    queue()
    queue("dossier.assigned", {"reference": "R-2"})
    assert drain() == DrainResult(sent=2)
    assert drain() == DrainResult()
    assert drain(now=timezone.now() + dt.timedelta(days=1)) == DrainResult()
    assert len(server.requests) == 2


def test_a_worker_that_died_after_claiming_leaves_the_message_for_later(settings, endpoint):
    server = endpoint()
    subscribe(server.url)
    hook, = queue()
    from motcua.notify import services

    claimed = services._claim(T0, 10)  # a worker claims, then dies before sending
    assert [m.pk for m in claimed] == [hook.pk]
    assert drain(now=T0 + dt.timedelta(seconds=60)) == DrainResult()  # leased to the dead worker
    after_lease = T0 + dt.timedelta(seconds=settings.MOTCUA_OUTBOX_LEASE)
    assert drain(now=after_lease) == DrainResult(sent=1)
    hook.refresh_from_db()
    assert hook.attempts == 2 and len(server.requests) == 1


def test_stop_hands_the_rest_of_the_batch_back(endpoint):
    server = endpoint()
    subscribe(server.url)
    for _ in range(3):
        queue()
    calls = iter([False, True])
    assert drain(now=T0, stop=lambda: next(calls)) == DrainResult(sent=1, released=2)
    assert OutboxMessage.objects.filter(status=Status.PENDING, attempts=0, next_attempt_at=T0).count() == 2
    assert drain(now=T0) == DrainResult(sent=2)


def test_sms_through_the_http_gateway(settings, endpoint):
    server = endpoint()
    settings.MOTCUA_SMS_GATEWAY = "http"
    settings.MOTCUA_SMS_URL, settings.MOTCUA_SMS_TOKEN = server.url, "token-bi-mat"
    sms, = queue(phone="0912 345 678")
    assert drain() == DrainResult(sent=1)
    request, = server.requests
    assert request["headers"]["Authorization"] == "Bearer token-bi-mat"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert json.loads(request["body"]) == {"to": "0912345678", "text": sms.body, "id": sms.pk}
    assert "đã được tiếp nhận" in sms.body


def test_sms_gateway_refusing_is_retried(settings, endpoint):
    server = endpoint([401])
    settings.MOTCUA_SMS_GATEWAY = "http"
    settings.MOTCUA_SMS_URL, settings.MOTCUA_SMS_TOKEN = server.url, "sai"
    sms, = queue(phone="0912345678")
    assert drain(now=T0) == DrainResult(retried=1)
    sms.refresh_from_db()
    assert "HTTP 401" in sms.last_error


def test_sms_log_gateway_is_the_default(settings, caplog):
    assert settings.MOTCUA_SMS_GATEWAY == "log"
    queue(phone="0912345678")
    with caplog.at_level("WARNING", logger="motcua.notify.sms"):
        assert drain() == DrainResult(sent=1)
    assert "0912345678" in caplog.text and "đã được tiếp nhận" in caplog.text


def test_worker_once_drains_everything_due(smtp, endpoint):
    server = endpoint()
    subscribe(server.url)
    for n in range(5):
        with transaction.atomic():
            enqueue("dossier.received", {**RECEIVED, "code": f"H56-{n}"}, email=f"cd{n}@example.vn")
    out = io.StringIO()
    call_command("worker", "--once", "--limit", "3", stdout=out)
    assert len(smtp.envelopes) == 5 and len(server.requests) == 5
    assert OutboxMessage.objects.exclude(status=Status.SENT).count() == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "Đã gửi 3, sẽ thử lại 0, chuyển thư lỗi 0."
    assert lines[-1] == "Dừng. Tổng cộng: Đã gửi 10, sẽ thử lại 0, chuyển thư lỗi 0."


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_workers_deliver_each_message_once(endpoint):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("threads cannot share an in-memory SQLite test database safely; PostgreSQL runs this")
    server = endpoint()
    subscribe(server.url)
    with transaction.atomic():
        for n in range(40):
            enqueue("dossier.assigned", {"reference": f"R-{n}"}, dossier_reference=f"R-{n}")
    results, errors = [], []

    def work():
        try:
            total = DrainResult()
            while (result := drain(limit=3)).total:
                total += result
            results.append(total)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    deliveries = [request["headers"]["X-MotCua-Delivery"] for request in server.requests]
    assert len(deliveries) == len(set(deliveries)) == 40
    assert sum(result.sent for result in results) == 40


# --- real worker processes on the embedded SQLite database ------------------------------------------

def _process_env(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "motcua.settings", "MOTCUA_VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'motcua.sqlite3'}", "SECRET_KEY": "khoa-thu-nghiem"}
    subprocess.run([sys.executable, "-m", "motcua.cli", "migrate", "-v0"], env=env, check=True, timeout=120)
    return env


def test_several_worker_processes_share_a_sqlite_outbox(tmp_path, endpoint):
    server = endpoint()
    env = _process_env(tmp_path)
    script = f"""
import django; django.setup()
from django.db import transaction
from motcua.notify.models import WebhookSubscription
from motcua.notify.services import enqueue
WebhookSubscription.objects.create(name="Cổng", url={server.url!r}, topics="dossier.*")
with transaction.atomic():
    for n in range(60):
        enqueue("dossier.assigned", {{"reference": f"R-{{n}}"}}, dossier_reference=f"R-{{n}}")
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    workers = [subprocess.Popen([sys.executable, "-m", "motcua.cli", "worker", "--once", "--limit", "4"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0], outputs
    deliveries = [request["headers"]["X-MotCua-Delivery"] for request in server.requests]
    assert len(deliveries) == len(set(deliveries)) == 60
    totals = sum(int(out.splitlines()[-1].split("Đã gửi ")[1].split(",")[0]) for out, _err in outputs)
    assert totals == 60


def test_worker_stops_cleanly_on_sigterm(tmp_path):
    env = _process_env(tmp_path)
    worker = subprocess.Popen([sys.executable, "-m", "motcua.cli", "worker", "--poll", "30"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert worker.stdout.readline().startswith("Bắt đầu gửi thông báo")  # signal handlers are in place
    time.sleep(0.5)  # idle, sleeping between polls
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert time.monotonic() - started < 10  # did not wait for the 30 s poll
    assert out == "Dừng. Tổng cộng: Đã gửi 0, sẽ thử lại 0, chuyển thư lỗi 0.\n"


# --- admin --------------------------------------------------------------------------------------

@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser("boss", "", "x-Secret-123")
    client.force_login(user)
    return user


def test_admin_lists_dead_letters_and_requeues_them(client, superuser, settings):
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 1
    subscribe(f"http://127.0.0.1:{free_port()}/hook")
    dead, = queue()
    pending, = queue("dossier.assigned", {"reference": "R-2"}, dossier_reference="R-2")
    drain(now=T0)
    OutboxMessage.objects.filter(pk=pending.pk).update(status=Status.PENDING)
    page = client.get("/admin/notify/deadletter/").content.decode()
    assert "Thư lỗi" in page and f">{dead.pk}<" in page and f">{pending.pk}<" not in page
    assert client.get("/admin/notify/outboxmessage/?q=R-7Q4K2M").status_code == 200
    assert client.get(f"/admin/notify/outboxmessage/{dead.pk}/change/").status_code == 200
    response = client.post("/admin/notify/outboxmessage/", {
        "action": "requeue", "_selected_action": [dead.pk, pending.pk]}, follow=True)
    html = response.content.decode()
    assert "Đã đưa 1 thông báo trở lại hàng đợi." in html and "Bỏ qua 1 thông báo" in html
    dead.refresh_from_db()
    assert dead.status == Status.PENDING and dead.attempts == 0
    drain(now=T0)  # dead again: requeue it from the dead-letter list this time
    response = client.post("/admin/notify/deadletter/", {"action": "requeue", "_selected_action": [dead.pk]},
                           follow=True)
    html = response.content.decode()
    assert "Đã đưa 1 thông báo trở lại hàng đợi." in html and "Bỏ qua" not in html
    assert not DeadLetter.objects.filter(pk=dead.pk).exists()


def test_admin_refuses_a_bad_topic_list(client, superuser):
    response = client.post("/admin/notify/webhooksubscription/add/", {
        "name": "Cổng DVC", "url": "http://a.example/hook", "topics": "hồ sơ mới", "is_active": "on",
        "secret": "s" * 32})
    assert response.status_code == 200 and "Tên sự kiện không hợp lệ" in response.content.decode()
    assert WebhookSubscription.objects.count() == 0


def test_messages_module_lists_every_applicant_topic():
    # the dossiers' own topics, and those other apps register (feedback) when Django starts
    assert set(messages.TOPICS) == {"dossier.submitted", "dossier.received", "dossier.supplement_requested",
                                    "dossier.apology", "dossier.result_ready", "dossier.refused", "dossier.payment_recorded",
                                    "feedback.received", "feedback.answered", "feedback.declined"}


def test_an_online_submission_is_acknowledged_before_it_has_a_code():
    text = messages.render("dossier.submitted", {"code": "", "reference": "3f2a", "procedure_name": "Cấp phép",
                                                 "lookup_url": "https://dvc.example/tra-cuu/?ref=3f2a"})
    assert text.subject == "Đã nhận hồ sơ Ông/Bà nộp trực tuyến" and "(thủ tục: Cấp phép)" in text.body
    assert "https://dvc.example/tra-cuu/?ref=3f2a" in text.body and "chờ Bộ phận Một cửa tiếp nhận" in text.sms


def test_a_recorded_payment_tells_the_applicant_what_is_left():
    text = messages.render("dossier.payment_recorded", {"code": "H56-260105-0001", "procedure_name": "Cấp phép",
                                                        "amount": 50000, "remaining": 25000, "applicant_name": "An"})
    assert text.subject == "Đã nhận khoản nộp phí, lệ phí cho hồ sơ H56-260105-0001"
    assert "Đã ghi nhận 50.000 đồng" in text.body and "Số còn phải nộp: 25.000 đồng." in text.body
    assert text.sms.startswith("Đã nhận 50.000 đồng phí, lệ phí hồ sơ H56-260105-0001.")
    with pytest.raises(ValueError, match="remaining"):
        messages.render("dossier.payment_recorded", {"code": "X", "procedure_name": "P", "amount": 1})
