"""Hamkori settings, read from the environment (django-environ).

Every variable is documented in README.md ("Configuration"). Three modes, chosen by HAMKORI_ENV:
``development`` (SQLite under var/, console mail, a generated data key, DEBUG),
``test`` (set by the test-suite) and ``production`` (refuses to start without real secrets).
There is no default: an unset HAMKORI_ENV refuses to start, so a server nobody configured never
runs with DEBUG and a development key. The developer's entry points choose development
themselves: ``manage.py``, ``hamkori demo`` and ``hamkori totp-code`` (see ``hamkori/cli.py``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]
PACKAGE_DIR = BASE_DIR / "hamkori"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)  # optional, never committed

HAMKORI_ENV = env.str("HAMKORI_ENV", default="")
if not HAMKORI_ENV:
    raise ImproperlyConfigured(
        "HAMKORI_ENV is not set. Set HAMKORI_ENV=production (with SECRET_KEY, ALLOWED_HOSTS and "
        "HAMKORI_DATA_KEY) on a server, or HAMKORI_ENV=development on your own machine; "
        "see README.md, Configuration. (`hamkori demo` and manage.py choose development themselves.)"
    )
if HAMKORI_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("HAMKORI_ENV must be development, test or production.")
PRODUCTION = HAMKORI_ENV == "production"

VAR_DIR = Path(env.str("HAMKORI_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

DEV_SECRET_KEY = "django-insecure-hamkori-development-only-never-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=HAMKORI_ENV == "development")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if PRODUCTION:
    if (
        not SECRET_KEY
        or SECRET_KEY == DEV_SECRET_KEY
        or len(SECRET_KEY) < 50
        or SECRET_KEY.startswith("django-insecure")
    ):
        raise ImproperlyConfigured("Production needs SECRET_KEY: at least 50 random characters.")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production needs ALLOWED_HOSTS: the host names this site answers to.")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production.")

INSTALLED_APPS = [
    "hamkori.core",
    "hamkori.kit",
    "hamkori.access",
    "hamkori.accounts",
    "hamkori.places",
    "hamkori.orgs",
    "hamkori.programmes",
    "hamkori.vault",
    "hamkori.people",
    "hamkori.groups",
    "hamkori.concerns",
    "hamkori.events",
    "hamkori.grants",
    "hamkori.demo",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "template_partials",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files: its own pre-compressed .gz, never GZip below
    # Pages gzipped (a page is ~5x smaller). BREACH: Django pads each response's gzip header with 0-99 random
    # bytes, CSRF tokens are masked per response, cookies are SameSite=Lax (benchmarks/README.md, page_weight).
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hamkori.accounts.middleware.SessionPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "hamkori.accounts.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "hamkori.core.middleware.RequestContextMiddleware",
    "hamkori.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "hamkori.config.urls"
WSGI_APPLICATION = "hamkori.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "hamkori.core.context_processors.shell",
                "hamkori.accounts.context_processors.programme_nav",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database: SQLite under var/ unless DATABASE_URL is set -------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("HAMKORI_SQLITE_PATH", default=str(VAR_DIR / "hamkori.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
                ),
            },
            # A worker keeps its connection between requests, as on PostgreSQL: opening one costs the
            # file's open, the four PRAGMAs and Django's SQL functions on every request otherwise.
            "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication --------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "hamkori.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = False if HAMKORI_ENV == "test" else {}  # axes does the locking out
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Hamkori] "
# Changing the sign-in email, the password or the second factor needs a fresh reauthentication
# (password or code, within 5 minutes); a new email takes effect only once the link mailed to it is
# opened; every change is mailed to the (old) address and audited (accounts/signals.py).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
MFA_REAUTHENTICATION_REQUIRED = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_TOLERANCE = 1  # accept the previous and next 30-second code: phones drift, links are slow
MFA_TOTP_ISSUER = env.str("HAMKORI_TOTP_ISSUER", default="Hamkori")
MFA_ADAPTER = "hamkori.accounts.adapter.EncryptingMFAAdapter"

AXES_FAILURE_LIMIT = env.int("HAMKORI_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("HAMKORI_LOGIN_COOLOFF_MINUTES", default=30))
# Locked out per account (from any address) and per account-and-address, never per address alone:
# one person's typos must not lock out everyone behind an office's or a mobile carrier's address.
# allauth authenticates with ``email=…``; the callable reads that (and the form's ``login`` field).
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "hamkori.accounts.lockout.attempted_login"
AXES_USERNAME_FORM_FIELD = "login"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hamkori.accounts.lockout.lockout_response"  # says how many minutes (429)
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("HAMKORI_PROXY_COUNT", default=0)

# Shared state of rate limits (allauth, the API throttle) and used TOTP codes: the database, which
# every worker sees (no cache server needed). The table is created by a migration (accounts 0003).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "hamkori_cache",
        "OPTIONS": {"MAX_ENTRIES": 50000},
    }
}

# API tokens expire; the API is throttled per user (and per address for wrong or missing tokens).
HAMKORI_API_TOKEN_DAYS = env.int("HAMKORI_API_TOKEN_DAYS", default=90)
HAMKORI_API_RATE = env.str("HAMKORI_API_RATE", default="300/m")
# Public intake (/report/ and /api/public/concerns): per client address, counted in the database (shared),
# generous so that a village behind one address is not blocked ("count/period", period in s, m, h or d).
HAMKORI_INTAKE_RATE = env.str("HAMKORI_INTAKE_RATE", default="30/10m")
HAMKORI_INTAKE_STATUS_RATE = env.str("HAMKORI_INTAKE_STATUS_RATE", default="60/10m")  # receipt-code look-ups
NINJA_NUM_PROXIES = AXES_IPWARE_PROXY_COUNT

# Sessions: 30 minutes idle (cookie renewed on every request), 12 hours in all (SessionPolicyMiddleware).
SESSION_IDLE_SECONDS = env.int("HAMKORI_SESSION_IDLE_MINUTES", default=30) * 60
SESSION_ABSOLUTE_SECONDS = env.int("HAMKORI_SESSION_MAX_HOURS", default=12) * 3600
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "hamkori.core.api_errors.csrf_failure"  # JSON under /api/, Django's page elsewhere
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

# --- Personal-data vault key(s): never SECRET_KEY ----------------------------------------------
# HAMKORI_DATA_KEY: comma-separated Fernet keys, newest first. The first encrypts; all decrypt.
_data_key = env.str("HAMKORI_DATA_KEY", default="")
if not _data_key:
    if PRODUCTION:
        raise ImproperlyConfigured("Production needs HAMKORI_DATA_KEY (see README: Configuration).")
    if HAMKORI_ENV == "test":
        _data_key = "dGVzdC1rZXktZm9yLXRoZS1oYW1rb3JpLXRlc3RzLTA="
    else:
        from hamkori.core.keys import development_data_key

        _data_key = development_data_key(VAR_DIR)
HAMKORI_DATA_KEYS = [k.strip() for k in _data_key.split(",") if k.strip()]

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = env.str("HAMKORI_LANGUAGE_CODE", default="en")
LANGUAGES = [("tg", "Тоҷикӣ"), ("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["hamkori.core.formats"]  # English dates day-first (28/11/2026), not US
TIME_ZONE = env.str("HAMKORI_TIME_ZONE", default="Asia/Dushanbe")

# --- Static files (whitenoise; nothing ever loads from another host) -----------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = VAR_DIR / "media"

# --- Mail: console by default, SMTP by EMAIL_URL ------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = (
        "django.core.mail.backends.locmem.EmailBackend"
        if HAMKORI_ENV == "test"
        else "django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Hamkori <no-reply@hamkori.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security headers ---------------------------------------------------------------------------
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("HAMKORI_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("HAMKORI_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("HAMKORI_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("HAMKORI_LOG_LEVEL", default="WARNING")},
}

HAMKORI_DEMO_PASSWORD = "hamkori-demo-2018"  # noqa: S105 (printed by the demo; refused in production)
#: The site's name in page titles and mails (password reset: "Hello from …"); translated when unset.
HAMKORI_SITE_NAME = env.str("HAMKORI_SITE_NAME", default="") or _("Hamkori")
