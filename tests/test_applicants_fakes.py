"""Real local servers for the applicant-account tests (no tests here): an SMTP server (aiosmtpd), an
HTTP SMS gateway, and a small OpenID Connect provider speaking the real protocol over HTTP —
discovery, JWKS, an authorize endpoint that redirects back with a code, a token endpoint that checks
the client's secret and the PKCE verifier and issues an RS256-signed id_token."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import json
import re
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.asymmetric import rsa


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SMTP -----------------------------------------------------------------------------------------

class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def code_for(self, address: str, timeout: float = 5) -> str:
        """The 6-digit code in the latest message to ``address`` (waits for it to arrive)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                if address in message["To"]:
                    return re.search(r"\b(\d{6})\b", message.get_content()).group(1)
            time.sleep(0.05)
        raise AssertionError(f"no message to {address}")

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Cổng dịch vụ công <motcua@dongtam.gov.vn>"
    yield inbox
    controller.stop()


# --- SMS gateway (the notify "http" gateway's protocol) ---------------------------------------------

class SmsGateway:
    def __init__(self):
        self.sent = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                gateway.sent.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def code_for(self, phone: str) -> str:
        text = [m for m in self.sent if m["to"] == phone][-1]["text"]
        return re.search(r"\b(\d{6})\b", text).group(1)


@pytest.fixture
def sms(settings):
    gateway = SmsGateway()
    settings.MOTCUA_SMS_GATEWAY, settings.MOTCUA_SMS_URL = "http", gateway.url
    yield gateway
    gateway.server.shutdown()
    gateway.server.server_close()


# --- OpenID Connect provider --------------------------------------------------------------------------

_KEYS: list = []


def _keys():
    """Two RSA keys (the provider's, and one it does not publish), made once per test run: slow to make."""
    if not _KEYS:
        _KEYS.extend(rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    return _KEYS


def _jwk(public_key, kid: str) -> dict:
    return {**jwt.algorithms.RSAAlgorithm.to_jwk(public_key, as_dict=True), "kid": kid, "use": "sig", "alg": "RS256"}


class FakeOidc:
    """``claims`` is what the next id_token says about the person; ``tamper`` spoils the next token:
    {"nonce": "…"}, {"aud": "…"}, {"iss": "…"}, {"exp": seconds from now}, {"foreign_key": True}."""

    CLIENT_ID, CLIENT_SECRET = "cong-dvc-tinh", "bi-mat-cua-cong"

    def __init__(self):
        self.key, self.foreign = _keys()
        self.kid = "khoa-1"
        self.claims = {"sub": "vneid-0001", "cccd": "001090012345", "name": "Trần Văn Bình",
                       "birthdate": "1990-05-17"}
        self.tamper: dict = {}
        self.grants: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, provider.discovery())
                if url.path == "/jwks":
                    return self._json(200, {"keys": [_jwk(provider.key.public_key(), provider.kid)]})
                if url.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    if q.get("client_id") != provider.CLIENT_ID or q.get("code_challenge_method") != "S256":
                        return self._json(400, {"error": "invalid_request"})
                    code = secrets.token_urlsafe(16)
                    provider.grants[code] = q
                    self.send_response(302)
                    self.send_header("Location", q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]}))
                    self.end_headers()
                    return None
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                provider.token_requests.append({"form": form, "authorization": self.headers.get("Authorization")})
                basic = "Basic " + base64.b64encode(f"{provider.CLIENT_ID}:{provider.CLIENT_SECRET}".encode()).decode()
                if self.headers.get("Authorization") != basic:
                    return self._json(401, {"error": "invalid_client"})
                grant = provider.grants.pop(form.get("code", ""), None)
                challenge = base64.urlsafe_b64encode(
                    hashlib.sha256(form.get("code_verifier", "").encode()).digest()).rstrip(b"=").decode()
                if (grant is None or form.get("grant_type") != "authorization_code"
                        or form.get("redirect_uri") != grant["redirect_uri"] or challenge != grant["code_challenge"]):
                    return self._json(400, {"error": "invalid_grant"})
                return self._json(200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                        "expires_in": 300, "id_token": provider.id_token(grant["nonce"])})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def discovery(self) -> dict:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"]}

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        t = self.tamper
        payload = {"iss": t.get("iss", self.issuer), "aud": t.get("aud", self.CLIENT_ID), "iat": now,
                   "exp": now + t.get("exp", 300), "nonce": t.get("nonce", nonce), **self.claims}
        key = self.foreign if t.get("foreign_key") else self.key
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": self.kid})

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def oidc(settings):
    provider = FakeOidc()
    settings.MOTCUA_IDENTITY_PROVIDERS = "oidc"
    settings.MOTCUA_OIDC_ISSUER = provider.issuer
    settings.MOTCUA_OIDC_CLIENT_ID = FakeOidc.CLIENT_ID
    settings.MOTCUA_OIDC_CLIENT_SECRET = FakeOidc.CLIENT_SECRET
    settings.MOTCUA_OIDC_LABEL = "VNeID (thử nghiệm)"
    yield provider
    provider.close()


def follow_authorize(url: str) -> str:
    """Open the provider's authorize URL as the browser would; return where it sends the browser back."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(url, timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc.code
        return exc.headers["Location"]
    raise AssertionError("the provider did not redirect")
