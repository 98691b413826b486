"""OpenID Connect, authorization-code flow with state, nonce and PKCE (S256) — what VNeID and most
national e-ID brokers speak.

1. ``begin``: read the provider's discovery document, keep a fresh state, nonce and PKCE verifier in
   the session, send the browser to the authorization endpoint.
2. ``complete``: the browser is back with ``code`` and ``state``. The state must be the one kept (a
   forged or replayed return is refused); the code is exchanged for tokens at the token endpoint over
   a direct HTTP call with the PKCE verifier and the client's secret; the id_token's RS256 signature is
   checked against the provider's JWKS, then its iss, aud, exp (and iat) and our nonce.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import quote_plus, urlencode, urlsplit

import jwt
from django.utils.crypto import constant_time_compare

from motcua.accounts.identity import IdentityError, normalize_cccd
from motcua.applicants import conf
from motcua.applicants.providers.base import (
    IdentityProvider, ProviderError, VerifiedIdentity, register_identity_provider,
)
from motcua.text import nfc

__all__ = ["OidcProvider", "pkce_challenge"]

_SESSION_TTL = 600  # seconds a login may take at the provider
_CACHE_TTL = 3600  # discovery documents and keys are re-read hourly (and at once on an unknown key id)
_LEEWAY = 60  # seconds of clock difference tolerated between the provider and us
_cache: dict[str, tuple[float, dict]] = {}
_cache_lock = threading.Lock()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def _call(url: str, data: dict | None = None, headers: dict | None = None) -> dict:
    """GET (or POST a form to) ``url`` and read its JSON answer; ProviderError on any failure."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise ProviderError("Cấu hình nhà cung cấp định danh không hợp lệ (địa chỉ không phải http/https).")
    body = urlencode(data).encode("ascii") if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json", **(headers or {})})
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with _opener.open(request, timeout=conf.get_int("MOTCUA_OIDC_TIMEOUT")) as response:
            return json.loads(response.read(1_000_000))
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read(4000)).get("error", "")
        except ValueError:
            detail = ""
        raise ProviderError(f"Nhà cung cấp định danh trả lời lỗi (HTTP {exc.code}{', ' + detail if detail else ''}); "
                            f"vui lòng thử đăng nhập lại.") from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError):
        raise ProviderError("Không kết nối được tới nhà cung cấp định danh; vui lòng thử lại sau.") from None
    except ValueError:
        raise ProviderError("Nhà cung cấp định danh trả lời không đúng định dạng.") from None


def _cached(key: str, load, refresh: bool = False) -> dict:
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit and not refresh and now - hit[0] < _CACHE_TTL:
        return hit[1]
    value = load()
    with _cache_lock:
        _cache[key] = (now, value)
    return value


@register_identity_provider("oidc")
class OidcProvider(IdentityProvider):
    def __init__(self, name: str):
        super().__init__(name)
        self.issuer = conf.get("MOTCUA_OIDC_ISSUER").rstrip("/")
        self.client_id = conf.get("MOTCUA_OIDC_CLIENT_ID")
        self.client_secret = conf.get("MOTCUA_OIDC_CLIENT_SECRET")
        self.label = conf.get("MOTCUA_OIDC_LABEL")
        self.session_key = f"applicants_oidc_{name}"

    # --- provider metadata ---

    def discovery(self) -> dict:
        if not self.issuer or not self.client_id:
            raise ProviderError("Đăng nhập qua nhà cung cấp định danh chưa được cấu hình.")

        def load():
            doc = _call(f"{self.issuer}/.well-known/openid-configuration")
            # The document must describe the issuer we trust, or its endpoints could be anyone's.
            if doc.get("issuer", "").rstrip("/") != self.issuer:
                raise ProviderError("Tài liệu cấu hình của nhà cung cấp định danh không khớp địa chỉ đã cấu hình.")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(doc.get(key), str):
                    raise ProviderError("Tài liệu cấu hình của nhà cung cấp định danh thiếu thông tin cần thiết.")
            return doc
        return _cached(f"discovery:{self.issuer}", load)

    def signing_key(self, kid: str | None):
        jwks_uri = self.discovery()["jwks_uri"]
        for refresh in (False, True):  # an unknown key id: the provider may have rotated its keys
            keys = _cached(f"jwks:{jwks_uri}", lambda: _call(jwks_uri), refresh=refresh).get("keys", [])
            for jwk in keys:
                if jwk.get("kty") == "RSA" and (kid is None or jwk.get("kid") == kid) and jwk.get("use", "sig") == "sig":
                    try:
                        return jwt.PyJWK(jwk, algorithm="RS256").key
                    except jwt.PyJWTError:
                        continue
        raise ProviderError("Không tìm thấy khóa ký của nhà cung cấp định danh cho mã định danh nhận được.")

    # --- the flow ---

    def begin(self, request, redirect_uri: str) -> str:
        doc = self.discovery()
        state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
        request.session[self.session_key] = {"state": state, "nonce": nonce, "verifier": verifier,
                                             "started": time.time()}
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
            "scope": conf.get("MOTCUA_OIDC_SCOPE"), "state": state, "nonce": nonce,
            "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256",
        })
        endpoint = doc["authorization_endpoint"]
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def complete(self, request, redirect_uri: str) -> VerifiedIdentity:
        # Used once: popped before anything else, so a replayed return finds nothing.
        kept = request.session.pop(self.session_key, None)
        params = request.GET
        if kept is None or time.time() - kept.get("started", 0) > _SESSION_TTL:
            raise ProviderError("Phiên đăng nhập đã hết hạn hoặc không hợp lệ; vui lòng bấm đăng nhập lại.")
        if not constant_time_compare(params.get("state", ""), kept["state"]):
            raise ProviderError("Yêu cầu đăng nhập không hợp lệ (tham số state không khớp); vui lòng đăng nhập lại.")
        if params.get("error"):
            if params["error"] == "access_denied":
                raise ProviderError("Ông/Bà đã hủy đăng nhập tại nhà cung cấp định danh.")
            raise ProviderError(f"Nhà cung cấp định danh từ chối đăng nhập ({params['error'][:100]}).")
        code = params.get("code", "")
        if not code:
            raise ProviderError("Nhà cung cấp định danh không trả về mã xác thực; vui lòng đăng nhập lại.")
        tokens = self.exchange(code, redirect_uri, kept["verifier"])
        claims = self.verify_id_token(tokens.get("id_token"), kept["nonce"])
        return self.identity(claims)

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier, "client_id": self.client_id}
        headers = {}
        if self.client_secret:  # client_secret_basic, the method every provider must support
            pair = f"{_form(self.client_id)}:{_form(self.client_secret)}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        tokens = _call(self.discovery()["token_endpoint"], form, headers)
        if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
            raise ProviderError("Nhà cung cấp định danh không trả về mã định danh (id_token).")
        return tokens

    def verify_id_token(self, token: str, nonce: str) -> dict:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise ProviderError("Mã định danh (id_token) không đúng định dạng.") from None
        if header.get("alg") != "RS256":  # never let the token choose its own algorithm
            raise ProviderError("Mã định danh (id_token) không được ký bằng thuật toán RS256.")
        key = self.signing_key(header.get("kid"))
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=self.client_id, issuer=self.issuer,
                                leeway=_LEEWAY, options={"require": ["iss", "aud", "exp", "iat", "sub"]})
        except jwt.ExpiredSignatureError:
            raise ProviderError("Mã định danh (id_token) đã hết hạn; vui lòng đăng nhập lại.") from None
        except jwt.InvalidAudienceError:
            raise ProviderError("Mã định danh (id_token) không được cấp cho cổng dịch vụ công này.") from None
        except jwt.InvalidIssuerError:
            raise ProviderError("Mã định danh (id_token) không do nhà cung cấp đã cấu hình cấp.") from None
        except jwt.InvalidSignatureError:
            raise ProviderError("Chữ ký của mã định danh (id_token) không hợp lệ.") from None
        except jwt.PyJWTError as exc:
            raise ProviderError(f"Mã định danh (id_token) không hợp lệ ({type(exc).__name__}).") from None
        if isinstance(claims.get("aud"), list) and len(claims["aud"]) > 1 and claims.get("azp") != self.client_id:
            raise ProviderError("Mã định danh (id_token) không được cấp cho cổng dịch vụ công này.")
        if not constant_time_compare(str(claims.get("nonce", "")), nonce):
            raise ProviderError("Mã định danh (id_token) không thuộc lần đăng nhập này (nonce không khớp).")
        return claims

    def identity(self, claims: dict) -> VerifiedIdentity:
        try:
            cccd = normalize_cccd(str(claims.get(conf.get("MOTCUA_OIDC_CCCD_CLAIM"), "")))
        except IdentityError:
            raise ProviderError("Nhà cung cấp định danh không cho biết số căn cước công dân hợp lệ; "
                                "không thể đăng nhập bằng cách này.") from None
        name = nfc(str(claims.get(conf.get("MOTCUA_OIDC_NAME_CLAIM"), "")))[:255]
        if not name:
            raise ProviderError("Nhà cung cấp định danh không cho biết họ tên; không thể đăng nhập bằng cách này.")
        try:
            born = dt.date.fromisoformat(str(claims.get(conf.get("MOTCUA_OIDC_BIRTHDATE_CLAIM"), "")))
        except ValueError:
            born = None
        email = str(claims.get("email", "")) if claims.get("email_verified") is True else ""
        phone = str(claims.get("phone_number", "")) if claims.get("phone_number_verified") is True else ""
        kept = {key: claims[key] for key in ("iss", "sub", "iat", "auth_time", "acr", "amr") if key in claims}
        return VerifiedIdentity(provider=self.name, subject=str(claims["sub"])[:255], cccd=cccd, full_name=name,
                                date_of_birth=born, email=email, phone=phone, claims=kept)


def _form(value: str) -> str:
    """client_secret_basic form-encodes id and secret before base64 (RFC 6749 §2.3.1)."""
    return quote_plus(value)

