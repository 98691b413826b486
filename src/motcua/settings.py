"""MotCua settings: every knob is read from the environment here, and only here.

Each setting has a default and one line of documentation in README.md ("Settings").
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# MOTCUA_VAR_DIR: where the SQLite database, uploaded files and the generated secret key live.
VAR_DIR = Path(os.environ.get("MOTCUA_VAR_DIR", "var")).resolve()


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into var/secret_key (never committed)."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must not end up with different keys.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "motcua.worktime",
    "motcua.org",
    "motcua.accounts",
    "motcua.catalog",
    "motcua.dossiers",
    "motcua.documents",
    "motcua.notify",
    "motcua.api",
    "motcua.workspace",
    "motcua.portal",
    "motcua.applicants",
    "motcua.payments",
    "motcua.submission",
    "motcua.feedback",
    "motcua.reports",
    "motcua.web",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "motcua.workspace.middleware.IdleTimeoutMiddleware",
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "motcua.workspace.context.workspace",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL: sqlite:///var/motcua.sqlite3 (embedded default) or postgresql://user:pass@host/db.
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'motcua.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on busy_timeout instead of failing half-way with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    if DATABASE_URL.startswith("sqlite:///") and ":memory:" not in DATABASE_URL:
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["motcua.accounts.permissions.RoleBackend"]
LOGIN_URL = "workspace:login"
# MOTCUA_LOGIN_MAX_FAILURES / MOTCUA_LOGIN_LOCK_MINUTES: failed staff logins that lock a username, and for how long.
MOTCUA_LOGIN_MAX_FAILURES = int(os.environ.get("MOTCUA_LOGIN_MAX_FAILURES", 5))
MOTCUA_LOGIN_LOCK_MINUTES = int(os.environ.get("MOTCUA_LOGIN_LOCK_MINUTES", 15))
# MOTCUA_IDLE_MINUTES: a staff session ends after this long without a request.
MOTCUA_IDLE_MINUTES = int(os.environ.get("MOTCUA_IDLE_MINUTES", 30))

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # verifies (then upgrades) older hashes only
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [PACKAGE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic target; WhiteNoise warns when it is missing
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step
MEDIA_URL = "media/"
# MEDIA_ROOT: uploaded files (templates of required documents, later dossier files).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media")).resolve()

# PUBLIC_BASE_URL: the portal's public address; receipts' QR codes and notifications link to it.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# MOTCUA_MAX_UPLOAD_MB: largest dossier file accepted (PDF, JPEG or PNG only).
MOTCUA_MAX_UPLOAD_MB = int(os.environ.get("MOTCUA_MAX_UPLOAD_MB", 20))
# MOTCUA_ON_TIME_GRANULARITY: compare finish and due instants by local "date" (as most reports) or "instant".
MOTCUA_ON_TIME_GRANULARITY = os.environ.get("MOTCUA_ON_TIME_GRANULARITY", "date")
if MOTCUA_ON_TIME_GRANULARITY not in ("date", "instant"):
    raise ImproperlyConfigured("MOTCUA_ON_TIME_GRANULARITY must be date or instant")
# MOTCUA_AT_RISK_SHARE: a step is at risk when less than this share of the working time it was given is left.
MOTCUA_AT_RISK_SHARE = float(os.environ.get("MOTCUA_AT_RISK_SHARE", "0.2"))
# MOTCUA_LOOKUP_PER_IP / MOTCUA_LOOKUP_PER_CODE: public dossier lookups allowed per client address and per
# dossier code in each MOTCUA_LOOKUP_WINDOW seconds (counted in the database, so across server processes).
MOTCUA_LOOKUP_PER_IP = int(os.environ.get("MOTCUA_LOOKUP_PER_IP", 20))
MOTCUA_LOOKUP_PER_CODE = int(os.environ.get("MOTCUA_LOOKUP_PER_CODE", 10))
MOTCUA_LOOKUP_WINDOW = int(os.environ.get("MOTCUA_LOOKUP_WINDOW", 900))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 3600))
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- notify: outbox, email, SMS, webhooks ---
# EMAIL_BACKEND: how e-mail leaves; SMTP by default (Django's console backend prints instead, for a demo).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# EMAIL_HOST / EMAIL_PORT: the SMTP server (the agency's mail relay).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
# EMAIL_HOST_USER / EMAIL_HOST_PASSWORD: SMTP login; empty = no authentication.
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
# EMAIL_USE_TLS: STARTTLS on the SMTP connection (usually with port 587).
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
# EMAIL_USE_SSL: implicit TLS (usually port 465); not together with EMAIL_USE_TLS.
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)
# EMAIL_TIMEOUT: seconds before an SMTP connection or command gives up (the message is retried).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 10))
# DEFAULT_FROM_EMAIL: the sender of notifications to applicants.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "MotCua <motcua@localhost>")
# MOTCUA_OUTBOX_MAX_ATTEMPTS: attempts before a message becomes a dead letter (listed in the admin).
MOTCUA_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("MOTCUA_OUTBOX_MAX_ATTEMPTS", 8))
# MOTCUA_OUTBOX_BACKOFF_BASE: seconds before the first retry; each later retry waits twice as long.
MOTCUA_OUTBOX_BACKOFF_BASE = int(os.environ.get("MOTCUA_OUTBOX_BACKOFF_BASE", 30))
# MOTCUA_OUTBOX_BACKOFF_MAX: the longest wait between two attempts, in seconds (6 hours).
MOTCUA_OUTBOX_BACKOFF_MAX = int(os.environ.get("MOTCUA_OUTBOX_BACKOFF_MAX", 6 * 3600))
# MOTCUA_OUTBOX_LEASE: seconds a worker holds the messages it claimed before another may take them.
MOTCUA_OUTBOX_LEASE = int(os.environ.get("MOTCUA_OUTBOX_LEASE", 300))
# MOTCUA_SMS_GATEWAY: "log" (writes SMS to the log; demo) or "http" (POST to MOTCUA_SMS_URL).
MOTCUA_SMS_GATEWAY = os.environ.get("MOTCUA_SMS_GATEWAY", "log")
# MOTCUA_SMS_URL / MOTCUA_SMS_TOKEN: the HTTP gateway's address and bearer token.
MOTCUA_SMS_URL = os.environ.get("MOTCUA_SMS_URL", "")
MOTCUA_SMS_TOKEN = os.environ.get("MOTCUA_SMS_TOKEN", "")
# MOTCUA_SMS_TIMEOUT: seconds before the HTTP SMS gateway call gives up (the message is retried).
MOTCUA_SMS_TIMEOUT = int(os.environ.get("MOTCUA_SMS_TIMEOUT", 10))
# MOTCUA_WEBHOOK_TIMEOUT: seconds before a webhook delivery gives up (the message is retried).
MOTCUA_WEBHOOK_TIMEOUT = int(os.environ.get("MOTCUA_WEBHOOK_TIMEOUT", 10))
