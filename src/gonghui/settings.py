"""Django settings, all driven by GONGHUI_* environment variables (see common/config.py)."""

import os
from pathlib import Path

import dj_database_url

from gonghui.common.config import load_keys, read_env

ENV = read_env()
BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(ENV["GONGHUI_VAR_DIR"] or PROJECT_DIR / "var")
DEBUG = ENV["GONGHUI_DEBUG"]
# Keys generated into var/keys on first use, for a machine of one's own (`make run` sets it;
# unset, it follows GONGHUI_DEBUG, as the test runs have it). Never in production.
LOCAL_KEYS = DEBUG if ENV["GONGHUI_LOCAL_KEYS"] is None else ENV["GONGHUI_LOCAL_KEYS"]

KEYS = load_keys(ENV, Path(ENV["GONGHUI_KEYS_DIR"] or VAR_DIR / "keys"), generate=LOCAL_KEYS)
SECRET_KEY = KEYS["GONGHUI_SECRET_KEY"].current[1].hex()
SECRET_KEY_FALLBACKS = [key.hex() for _, key in KEYS["GONGHUI_SECRET_KEY"].keys[1:]]

ALLOWED_HOSTS = ENV["GONGHUI_ALLOWED_HOSTS"]
CSRF_TRUSTED_ORIGINS = ENV["GONGHUI_CSRF_TRUSTED_ORIGINS"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "gonghui.common",
    "gonghui.orgs",
    "gonghui.audit",
    "gonghui.people",
    "gonghui.registry",
    "gonghui.nominations",
    "gonghui.perks",
    "gonghui.contests",
    "gonghui.training",
    "gonghui.funds",
    "gonghui.files",
    "gonghui.jobs",
    "gonghui.dashboards",
    "gonghui.web",
]

MIDDLEWARE = [
    "gonghui.api.ApiMiddleware",  # outermost: sees every request and answer under /api/
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "gonghui.api.CommonMiddleware",  # no slash appended under /api/
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gonghui.common.lockout.KnownDeviceMiddleware",  # marks a browser that signed in
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "gonghui.audit.middleware.RequestContextMiddleware",
    "gonghui.web.middleware.RefuseNulMiddleware",
    "gonghui.web.middleware.FriendlyErrorsMiddleware",  # inside CommonMiddleware (APPEND_SLASH)
]

ROOT_URLCONF = "gonghui.urls"
WSGI_APPLICATION = "gonghui.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gonghui.web.context.navigation",
            ],
            "builtins": ["django.templatetags.static", "gonghui.web.templatetags.gonghui"],
        },
    }
]

# Databases: SQLite (WAL, IMMEDIATE transactions so writers queue instead of failing) by
# default; PostgreSQL through GONGHUI_DATABASE_URL in production.
_sqlite_path = VAR_DIR / "data" / "gonghui.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        ENV["GONGHUI_DATABASE_URL"] or f"sqlite:///{_sqlite_path}", conn_max_age=600
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536;"
        ),
    }
    # One test database per test run, so that runs side by side never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "data" / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = ENV["GONGHUI_REDIS_URL"]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "gonghui_cache",
        }
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The password policy (GONGHUI_PASSWORD_*, docs/sign-in.md); the history validator also
# records every password set, in any way (its password_changed, called by User.save()).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "gonghui.common.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": ENV["GONGHUI_PASSWORD_MIN_LENGTH"]},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "gonghui.common.passwords.CharacterClassesValidator",
        "OPTIONS": {"classes": ENV["GONGHUI_PASSWORD_CLASSES"]},
    },
    {
        "NAME": "gonghui.common.passwords.PasswordHistoryValidator",
        "OPTIONS": {"count": ENV["GONGHUI_PASSWORD_HISTORY"]},
    },
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
# Lock-out (web/forms.py): failures per (address, account) and per account, the lock
# doubling with each further lock within a day (see docs/operations.md).
LOGIN_MAX_FAILURES = ENV["GONGHUI_LOGIN_MAX_FAILURES"]
LOGIN_ACCOUNT_MAX_FAILURES = ENV["GONGHUI_LOGIN_ACCOUNT_MAX_FAILURES"]
LOGIN_LOCK_SECONDS = ENV["GONGHUI_LOGIN_LOCK_MINUTES"] * 60
ID_PROBES_PER_MINUTE = ENV["GONGHUI_ID_PROBES_PER_MINUTE"]
ID_PROBES_PER_DAY = ENV["GONGHUI_ID_PROBES_PER_DAY"]

SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
_secure = ENV["GONGHUI_SECURE_COOKIES"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = (not DEBUG) if _secure is None else _secure
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a load balancer or reverse proxy (docs/operations.md): the client's address is read
# from X-Forwarded-For through these proxies only (common/net.py), and HTTPS from the
# X-Forwarded-Proto they set, so that secure cookies and HSTS work when TLS ends at them.
TRUSTED_PROXIES = ENV["GONGHUI_TRUSTED_PROXIES"]
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
_hsts = ENV["GONGHUI_HSTS_SECONDS"]
SECURE_HSTS_SECONDS = (0 if DEBUG else 365 * 24 * 3600) if _hsts is None else _hsts
SECURE_REFERRER_POLICY = "same-origin"
# `gonghui check --deploy` passes in production (tests/web/test_deploy_check.py). Silenced by
# choice, each documented in docs/operations.md: HSTS leaves sub-domains (other systems of
# the union may live there) and the preload list alone; HTTP→HTTPS is the proxy's redirect
# (deploy/nginx), which a plain-HTTP health check behind it must not meet.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021", "security.W008"]
X_FRAME_OPTIONS = "DENY"

# django-csp 4: a strict policy; everything (htmx, echarts, css) is served from our static.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if DEBUG:
    # Development shows the policy's violations without breaking Django's debug pages.
    CONTENT_SECURITY_POLICY_REPORT_ONLY = CONTENT_SECURITY_POLICY
    CONTENT_SECURITY_POLICY = None

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it, even in debug
MEDIA_ROOT = VAR_DIR / "media"
UPLOAD_MAX_BYTES = ENV["GONGHUI_UPLOAD_MAX_MB"] * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
if ENV["GONGHUI_STORAGE"] == "s3":
    # S3-compatible storage through django-storages (optional extra: pip install gonghui[s3]).
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ENV["GONGHUI_S3_BUCKET"],
            "endpoint_url": ENV["GONGHUI_S3_ENDPOINT_URL"],
            "default_acl": "private",
            "querystring_auth": True,
            # An S3-compatible store (MinIO, Ceph) at its own address: buckets in the path,
            # not in a host name the store's DNS does not know.
            **({"addressing_style": "path"} if ENV["GONGHUI_S3_ENDPOINT_URL"] else {}),
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

AUDIT_CHECKPOINT_SECONDS = ENV["GONGHUI_CHECKPOINT_MINUTES"] * 60
# The witness: signed platform heads appended outside the database (and outside var/data and
# var/backups, so a backup of the data never carries it). A second path is a second store.
AUDIT_WITNESS = [
    Path(p) for p in ENV["GONGHUI_AUDIT_WITNESS"] or [VAR_DIR / "witness" / "audit-heads.jsonl"]
]
AUDIT_WITNESS_DEFAULT = not ENV["GONGHUI_AUDIT_WITNESS"]  # same host: warned at start-up
AUDIT_UNWITNESSED_SECONDS = ENV["GONGHUI_AUDIT_UNWITNESSED_MINUTES"] * 60
_role_check = ENV["GONGHUI_DB_ROLE_CHECK"]
DB_ROLE_CHECK = (not DEBUG) if _role_check is None else _role_check
SERVE_BIND = ENV["GONGHUI_BIND"]
# Workers wait on the database (a commit's flush) as much as they compute: gunicorn's
# 2 × cores + 1 keeps the cores busy (measured in bench/perks.py).
SERVE_WORKERS = ENV["GONGHUI_WORKERS"] or 2 * (os.cpu_count() or 1) + 1
# The live board's stream server (contests/board/stream.py, docs/live-board.md).
BOARD_STREAM_BIND = ENV["GONGHUI_BOARD_STREAM_BIND"]
BOARD_STREAM_URL = ENV["GONGHUI_BOARD_STREAM_URL"].rstrip("/")
BOARD_STREAM_ORIGINS = ENV["GONGHUI_BOARD_STREAM_ORIGINS"]

# Every traceback shown (debug page) or sent (AdminEmailHandler) masks protected values by
# name and by shape (common.reporting); log lines likewise (common.logs).
DEFAULT_EXCEPTION_REPORTER_FILTER = "gonghui.common.reporting.MaskingReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "gonghui.common.reporting.MaskingExceptionReporter"

# Structured logs; personal data never reaches them (no query strings, no request bodies).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "gonghui.common.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": ENV["GONGHUI_LOG_LEVEL"]},
    # 4xx answers are the access log's business (a claim storm answers thousands of 409s);
    # django.request logs 5xx as errors.
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # The certificate PDFs' font subsetting (fpdf2 → fontTools) says every step at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

# funds · payouts: the bank's file layouts (each bank has its own): what goes to the bank
# (columns in order, encoding) and what comes back (the columns read, the success values).
# A batch may carry its own (PayoutBatch.layout).
FUNDS_BANK_LAYOUT = {
    "export": {
        "encoding": "gbk",
        "columns": [
            ["payment", "业务编号"],
            ["name", "户名"],
            ["account", "账号"],
            ["amount", "金额"],
            ["memo", "用途"],
        ],
    },
    "returns": {
        "columns": {
            "payment": "业务编号",
            "result": "处理结果",
            "reason": "失败原因",
            "amount": "金额",
        },
        "success": ["成功", "0000"],
    },
}

# funds · accounts: the banks' limits on Ⅱ/Ⅲ class accounts and when an idle account counts
# as dormant (funds.prediction.LIMITS: Ⅱ类 10,000元 a day and 200,000元 a year from
# non-bound payers, Ⅲ类 2,000元 held, dormant after 365 days without activity).
FUNDS_ACCOUNT_LIMITS = {
    "II": {"day": 1_000_000, "year": 20_000_000},
    "III": {"balance": 200_000},
    "dormant_after_days": 365,
}

# A problem raised at a chairmen's reception day (工会主席接待日) is due in this many working
# days, counted from the day after it is raised (the organiser may set another number).
TRAINING_PROBLEM_DAYS = 10
# training · courses: how long a venue's check-in QR code is accepted (a new one is shown
# every 10 s; a screenshot older than this is refused), and the CJK TrueType font embedded
# in attendance certificates ("" = the first of Debian's fonts-wqy-microhei /
# fonts-noto-cjk files that exists; see training/courses/certificates.py).
TRAINING_CHECKIN_QR_LIFE = 30
TRAINING_CERT_FONT = ENV["GONGHUI_CERT_FONT"] or ""  # GONGHUI_CERT_FONT: a .ttf/.ttc path

# Lists (web): Django's form widgets render through the project's templates, so that a
# drop-down's empty choice reads 请选择 (web/templates/django/forms/widgets/select_option.html)
# instead of "---------"; and any list page answers ?export=xlsx with its filtered rows.
INSTALLED_APPS += ["django.forms"]  # after gonghui.web: its widget templates are overridden
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
MIDDLEWARE += ["gonghui.web.middleware.ListExportMiddleware"]

# The wall screen (数据看板大屏) reloads its figures this often.
DASHBOARDS_WALL_REFRESH_SECONDS = 60

# --- observe (issue 21, point 7: docs/observability.md) ---
# The request id first of all (every log line of the request carries it), the request
# metrics right after it; /metrics guarded by a token and/or addresses; ERROR lines and
# alerts also sent to the error sink; a worker silent this long is lost (jobs/services.py).
MIDDLEWARE[:0] = [
    "gonghui.common.logs.RequestIdMiddleware",
    "gonghui.common.metrics.RequestMetricsMiddleware",
]
METRICS_TOKEN = ENV["GONGHUI_METRICS_TOKEN"]
METRICS_ALLOW = ENV["GONGHUI_METRICS_ALLOW"]
METRICS_DIR = Path(ENV["GONGHUI_METRICS_DIR"] or VAR_DIR / "metrics")
ERROR_SINK = ENV["GONGHUI_ERROR_SINK"]
if ERROR_SINK:
    LOGGING["handlers"]["sink"] = {"()": "gonghui.common.logs.ErrorSink", "target": ERROR_SINK}
    LOGGING["root"]["handlers"].append("sink")
WORKER_LOST_SECONDS = ENV["GONGHUI_WORKER_LOST_MINUTES"] * 60
# --- audit retention (issue #21 point 5, docs/audit-retention.md) ---
# Events stay online AUDIT_RETENTION_DAYS (at least 180: 等保); older ones are archived as
# signed bundles to the "audit_archive" storage: the platform's S3 bucket under
# audit-archive/ (give that prefix object lock / versioning), or var/audit-archive locally.
AUDIT_RETENTION_DAYS = ENV["GONGHUI_AUDIT_RETENTION_DAYS"]
AUDIT_VERIFY_SECONDS = ENV["GONGHUI_AUDIT_VERIFY_MINUTES"] * 60
STORAGES["audit_archive"] = (
    {
        "BACKEND": _default_storage["BACKEND"],
        "OPTIONS": _default_storage["OPTIONS"] | {"location": "audit-archive"},
    }
    if ENV["GONGHUI_STORAGE"] == "s3"
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "audit-archive"},
    }
)
# deploy (issue 21, docs/deploy.md): several servers (GONGHUI_SERVERS) share the database and
# the S3 store (start-up refuses local files or SQLite: common/servers.py); the database
# connections of each process through psycopg's pool (GONGHUI_DB_POOL, its size; the pool
# replaces CONN_MAX_AGE's one kept connection), or through a pooler in transaction mode
# (GONGHUI_DB_TRANSACTION_POOLER: server-side cursors off).
SERVERS = ENV["GONGHUI_SERVERS"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    if ENV["GONGHUI_DB_POOL"]:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            "pool": {"min_size": 1, "max_size": ENV["GONGHUI_DB_POOL"], "timeout": 10},
        }
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = ENV["GONGHUI_DB_TRANSACTION_POOLER"]
# --- sepduty (#21 points 2 and 4: first start, the three administrators) ---
# The demo installation (`make run`): start-up accepts the demo's accounts with their
# published password (orgs.demo.refuse_demo_passwords); no other account may take it.
DEMO_SITE = ENV["GONGHUI_DEMO"] if ENV["GONGHUI_DEMO"] is not None else DEBUG
AUTH_PASSWORD_VALIDATORS += [{"NAME": "gonghui.common.passwords.DemoPasswordValidator"}]
# `gonghui createadmin --no-input` (docs/admin-roles.md).
ADMIN_USERNAME = ENV["GONGHUI_ADMIN_USERNAME"]
ADMIN_PASSWORD_FILE = ENV["GONGHUI_ADMIN_PASSWORD_FILE"]
# --- smcrypto (issue #21 point 8): the installation's algorithms, GONGHUI_CRYPTO (intl or
# sm; docs/crypto.md). The key rings' current keys are already of this suite (config.py).
CRYPTO = ENV["GONGHUI_CRYPTO"]
# backup (docs/backup.md): `gonghui backup` writes each set (database, files, manifest) in a
# folder of its own here; keys and the audit witness are never in it.
BACKUP_DIR = Path(ENV["GONGHUI_BACKUP_DIR"] or VAR_DIR / "backups")
# --- sessions: idle sessions and the password policy (web/sessions.py, docs/sign-in.md) ---
# A session ends after GONGHUI_SESSION_MINUTES without activity; a page's automatic requests
# (polls, header X-Gonghui-Poll: 1) do not count. The middleware keeps the last activity in
# the session, which is saved only when it changes (not on every request, so a poll writes
# nothing); the store keeps a session a working day past the limit, so that the browser
# coming back is told (and the timeout audited) rather than silently signed out.
SESSION_IDLE_SECONDS = ENV["GONGHUI_SESSION_MINUTES"] * 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS + 8 * 3600
SESSION_SAVE_EVERY_REQUEST = False
# A staff account's password older than this must be changed before any other page opens
# (0: never); members and counter accounts keep their simpler sign-in.
PASSWORD_MAX_AGE_DAYS = ENV["GONGHUI_PASSWORD_MAX_AGE_DAYS"]
MIDDLEWARE += [
    "gonghui.web.sessions.IdleSessionMiddleware",
    "gonghui.web.sessions.PasswordExpiryMiddleware",
]
# factors · the second factor (issue #21 point 3, docs/second-factor.md): TOTP (django-otp)
# and passkeys (django-otp-webauthn) after the password; SecondFactorMiddleware, right after
# django-otp's, holds every page, the admin and the session's API calls until it passes.
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "gonghui.factors",
]
MIDDLEWARE[MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1 : 0] = [
    "django_otp.middleware.OTPMiddleware",
    "gonghui.factors.middleware.SecondFactorMiddleware",
]
OTP_TOTP_ISSUER = "工会平台"
OTP_TOTP_THROTTLE_FACTOR = 1  # a wrong code doubles the wait before the next try: 1, 2, 4 s
OTP_WEBAUTHN_RP_NAME = "工会平台"
OTP_WEBAUTHN_RP_ID_CALLABLE = "gonghui.factors.passkeys.rp_id"
OTP_WEBAUTHN_HELPER_CLASS = "gonghui.factors.passkeys.Helper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a second factor, never instead of the password
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "gonghui.factors"
PASSKEY_RP_ID = ENV["GONGHUI_PASSKEY_RP_ID"]
PASSKEY_ORIGINS = OTP_WEBAUTHN_ALLOWED_ORIGINS = ENV["GONGHUI_PASSKEY_ORIGINS"]
if not PASSKEY_ORIGINS:  # unset: the page's own origin (factors.passkeys.Helper)
    SILENCED_SYSTEM_CHECKS += ["otp_webauthn.E030"]
