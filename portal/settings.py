"""Settings for the telecom customer-service CRM.

One module, driven by environment variables. The defaults run out of the box on one machine
(SQLite under ``var/`` and Celery on kombu's filesystem transport); production sets
``DJANGO_ENV=production`` and points ``DATABASE_URL`` / ``CELERY_BROKER_URL`` at real servers.
Bad values fail loudly at start-up rather than half-working.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import environ
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"


def _required(name: str) -> str:
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production.")
    return value


def _yuan(name: str, default: str) -> Decimal:
    raw = env.str(name, default=default)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be an amount in yuan, not {raw!r}.") from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise ImproperlyConfigured(f"{name} must be an amount in yuan, not {raw!r}.")
    return value


# --- Core -----------------------------------------------------------------------------------

if PRODUCTION:
    SECRET_KEY = _required("SECRET_KEY")
    ALLOWED_HOSTS = [host.strip() for host in _required("ALLOWED_HOSTS").split(",") if host]
    DEBUG = env.bool("DEBUG", default=False)
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must stay off when DJANGO_ENV=production.")
else:
    # A fixed development key: the development defaults are never exposed beyond localhost.
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
    DEBUG = env.bool("DEBUG", default=True)

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's widget templates, for the site's form renderer (portal.form_rendering).
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "guardian",
    "axes",
    "csp",
    "django_celery_beat",
    "crm",
    "billing",
    "complaints",
    "training",
    "portal.selfservice",
    "portal.workspaces",
    "portal.reports",
    # Last on purpose: its post_migrate hook grants role permissions on every other app's
    # models, which exist only once those apps have run their own post_migrate.
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files need no policy, every page and API response gets one.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                "portal.selfservice.context_processors.customer_navigation",
            ],
        },
    },
]

FORM_RENDERER = "portal.form_rendering.SiteFormRenderer"

# --- Database ---------------------------------------------------------------------------------

DEFAULT_SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{DEFAULT_SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server, the worker and beat share one file: WAL lets readers run beside the
    # writer, IMMEDIATE takes the write lock up front so transactions wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so that a real Celery worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Seconds: an unreachable database server must fail a request (503) or /healthz quickly,
    # not after the operating system's TCP timeout of about two minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", default=5)
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication and permissions ------------------------------------------------------------

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out username/IP never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    # Django's model permissions, fetched in one query instead of two.
    "portal.backends.OneQueryModelBackend",
    "guardian.backends.ObjectPermissionBackend",
    # Customers sign in with one of their mobile numbers (or their contact phone).
    "portal.selfservice.backends.PhoneNumberBackend",
]
# Sessions live in the database only, so no signed-in page depends on the cache (Redis in
# production) being up. A session cached in front of the database (cached_db) costs a query less
# but fails every page while Redis is down, and even with errors read as misses a sign-out made
# while Redis is paused would leave the old session in the cache, alive again once Redis resumes.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Per-object permissions are granted to staff only; no anonymous guardian user is needed.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection on every login path (form, admin, API token): django-axes.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# --- Internationalisation ----------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
CURRENCY = "CNY"

# --- Static files ------------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
if not PRODUCTION:
    # whitenoise warns about a missing STATIC_ROOT; collectstatic fills it in production.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- E-mail and cache --------------------------------------------------------------------------

_email = env.email_url("EMAIL_URL", default="consolemail://")
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    # Django's console backend prints raw MIME (encoded subjects); ours logs it decoded.
    _email["EMAIL_BACKEND"] = "portal.mail.ConsoleEmailBackend"
globals().update(_email)
# Seconds: a mail server that stops answering must fail a delivery (retried later), not hold a
# worker and the outbox row's lock.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="service@telecom-crm.example")
# The cache holds only what may be lost: nothing a page needs may live only here (sessions are in
# the database), because a page must keep answering while Redis is stopped or paused.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Seconds; Django hands OPTIONS to redis-py's connection pool. Without them a paused Redis
    # holds each cache call for redis-py's 5 s default, so any use of a cache that is down must
    # cost well under a second. Options given in CACHE_URL's query string win.
    _cache_options = CACHES["default"].setdefault("OPTIONS", {})
    _cache_options.setdefault("socket_connect_timeout", 0.25)
    _cache_options.setdefault("socket_timeout", 0.25)
SMS_BACKEND = env.str("SMS_BACKEND", default="portal.sms.OutboxBackend")

# --- Outbox delivery (portal.outbox: notifications, surveys, notices) ---------------------------

# A failed attempt is retried after OUTBOX_RETRY_FIRST_DELAY_SECONDS, doubling up to
# OUTBOX_RETRY_LONGEST_DELAY_SECONDS (each jittered to between half and all of it), for
# OUTBOX_RETRY_WINDOW_HOURS after the message was written; only then is it failed.
OUTBOX_RETRY_FIRST_DELAY_SECONDS = env.int("OUTBOX_RETRY_FIRST_DELAY_SECONDS", default=30)
OUTBOX_RETRY_LONGEST_DELAY_SECONDS = env.int("OUTBOX_RETRY_LONGEST_DELAY_SECONDS", default=3600)
OUTBOX_RETRY_WINDOW_HOURS = env.float("OUTBOX_RETRY_WINDOW_HOURS", default=24)
# A row a worker claimed and did not finish within this time (the worker died) is sent again,
# with the same idempotency key. Longer than a claim batch can take at the gateways' timeouts.
OUTBOX_CLAIM_TIMEOUT_SECONDS = env.int("OUTBOX_CLAIM_TIMEOUT_SECONDS", default=600)
# Rows claimed at once, and the longest a sweep runs before it hands the worker back.
OUTBOX_CLAIM_BATCH = env.int("OUTBOX_CLAIM_BATCH", default=10)
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=25)
if not 0 < OUTBOX_RETRY_FIRST_DELAY_SECONDS <= OUTBOX_RETRY_LONGEST_DELAY_SECONDS:
    raise ImproperlyConfigured(
        "OUTBOX_RETRY_FIRST_DELAY_SECONDS must be above 0 and at most "
        "OUTBOX_RETRY_LONGEST_DELAY_SECONDS."
    )
if OUTBOX_CLAIM_BATCH < 1 or OUTBOX_SWEEP_SECONDS <= 0 or OUTBOX_RETRY_WINDOW_HOURS <= 0:
    raise ImproperlyConfigured(
        "OUTBOX_CLAIM_BATCH, OUTBOX_SWEEP_SECONDS and OUTBOX_RETRY_WINDOW_HOURS must be above 0."
    )
if OUTBOX_CLAIM_TIMEOUT_SECONDS < 2 * EMAIL_TIMEOUT * OUTBOX_CLAIM_BATCH:
    # A live worker's claim must never look abandoned while it waits on a slow gateway.
    raise ImproperlyConfigured(
        "OUTBOX_CLAIM_TIMEOUT_SECONDS must be at least 2 x EMAIL_TIMEOUT x OUTBOX_CLAIM_BATCH."
    )

# --- REST API ----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Token first: an unauthenticated API call then gets 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "portal.api.filtering.StrictDjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    # Errors are documented once for every operation (portal.api.schema.document_error_responses).
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}

DRF_STANDARDIZED_ERRORS = {"EXCEPTION_HANDLER_CLASS": "portal.errors.ApiExceptionHandler"}

SPECTACULAR_SETTINGS = {
    "TITLE": "Telecom Customer-Service CRM API",
    "DESCRIPTION": (
        "REST API of the customer-service CRM. Amounts are decimal strings in CNY (yuan, two "
        "places); times are ISO 8601 with offset. Errors follow one shape: "
        '{"type": ..., "errors": [{"code", "detail", "attr"}]}.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several crm choice sets share a field name ("kind", "status"): name each after its class.
    "ENUM_NAME_OVERRIDES": {
        f"{name}Enum": f"crm.choices.{name}.choices"
        for name in (
            "CustomerKind",
            "ProductKind",
            "SubscriptionKind",
            "OrderKind",
            "SubscriptionStatus",
            "OrderStatus",
            "Channel",
            "InteractionOutcome",
        )
    }
    | {
        f"{name}Enum": f"billing.choices.{name}.choices"
        for name in (
            "TopUpChannel",
            "LedgerEntryKind",
            "UsageEventType",
            "UsageStatus",
            "BillLineKind",
            "BankCode",
            "PromotionKind",
            "RewardKind",
            "PointsEntryKind",
            "InstalmentPlanStatus",
            "InstalmentDueStatus",
            "InstalmentEventKind",
            "ArrearsCause",
            "ArrearsStatus",
            "ArrearsEventKind",
        )
    }
    | {
        f"{name}Enum": f"complaints.choices.{name}.choices"
        for name in (
            "TicketKind",
            "TicketCategory",
            "Priority",
            "Queue",
            "TicketStatus",
            "NoteVisibility",
            "TicketEventKind",
            "SurveyStatus",
            "CallbackStatus",
            "CallbackOutcome",
            "NotificationChannel",
            "NotificationStatus",
        )
    }
    | {
        f"{name}Enum": f"crm.channel_choices.{name}.choices"
        for name in (
            "PresenceStatus",
            "ChatStatus",
            "ChatSender",
            "IvrAction",
            "CallStatus",
            "CtiEvent",
            "InboundEmailStatus",
            "NoticeKind",
            "NoticeStatus",
            "DeliveryStatus",
            "AgreementStatus",
            "ArticleCategory",
            "ArticleAudience",
        )
    }
    | {"RoleEnum": "portal.roles.Role.choices"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.document_error_responses",
    ],
}
# training: its choice sets share field names ("status", "kind") with other apps'.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] |= {
    f"{name}Enum": f"training.choices.{name}.choices"
    for name in (
        "CourseSource",
        "AssignmentReason",
        "QuestionKind",
        "AttemptStatus",
        "SuggestionStatus",
    )
} | {"StaffRoleEnum": "training.models.STAFF_ROLE_CHOICES"}
# Staff workspaces: diagnoses, low-score reviews.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] |= {
    f"{name}Enum": f"complaints.choices.{name}.choices"
    for name in ("NoteKind", "FaultLocation", "ReviewAction")
}

# --- Celery ------------------------------------------------------------------------------------

FILESYSTEM_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_EMBEDDED_BROKER = CELERY_BROKER_URL.startswith("filesystem://")
if CELERY_EMBEDDED_BROKER:
    # kombu's filesystem transport: a real broker that needs no server, for `make run` and the
    # default test run. Messages are files; worker, beat and web share the folders.
    for _folder in ("queue", "processed", "control"):
        (FILESYSTEM_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(FILESYSTEM_BROKER_DIR / "queue"),
        "data_folder_out": str(FILESYSTEM_BROKER_DIR / "queue"),
        "processed_folder": str(FILESYSTEM_BROKER_DIR / "processed"),
        "control_folder": str(FILESYSTEM_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Short socket timeouts: a paused Redis must fail a publish quickly, not hang a worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 3,
        "socket_timeout": 5,
        "visibility_timeout": 3600,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_DEFAULT_QUEUE", default="celery")
# Three lanes (portal.celery.route_task): the default queue for sweeps and jobs, ".messages"
# for what a customer waits for (notification delivery, surveys), ".bulk" for mass sends
# (notices). A worker started without -Q consumes all three; an operator may give a lane
# workers of its own (-Q celery.messages).
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name)
    for name in (
        CELERY_TASK_DEFAULT_QUEUE,
        f"{CELERY_TASK_DEFAULT_QUEUE}.messages",
        f"{CELERY_TASK_DEFAULT_QUEUE}.bulk",
    )
]
CELERY_TASK_ROUTES = ("portal.celery.route_task",)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# On a broker loss a running task finishes (every task is idempotent and a delivery records
# what the gateway said); its message comes back after the visibility timeout and finds
# nothing left to do. Said explicitly: Celery 6 changes the default.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- Customer identity (crm) -------------------------------------------------------------------

# After this many failed verifications in a row, verification of the customer is locked.
CRM_VERIFICATION_MAX_FAILURES = env.int("CRM_VERIFICATION_MAX_FAILURES", default=3)
CRM_VERIFICATION_LOCK_MINUTES = env.int("CRM_VERIFICATION_LOCK_MINUTES", default=30)
CRM_SMS_CODE_TTL_MINUTES = env.int("CRM_SMS_CODE_TTL_MINUTES", default=5)

# --- Billing ------------------------------------------------------------------------------------

BILLING_OPERATOR_NAME = env.str("BILLING_OPERATOR_NAME", default="中国电信")
BILLING_TOP_UP_MIN = _yuan("BILLING_TOP_UP_MIN", default="1.00")
BILLING_TOP_UP_MAX = _yuan("BILLING_TOP_UP_MAX", default="5000.00")
# The largest billing adjustment (credit) each role may grant on its own authority.
BILLING_ADJUSTMENT_LIMITS = {
    "complaint_coordinator": _yuan("BILLING_ADJUSTMENT_LIMIT_COORDINATOR", default="200.00"),
    "supervisor": _yuan("BILLING_ADJUSTMENT_LIMIT_SUPERVISOR", default="2000.00"),
}

# --- Billing commerce: promotions, points, credit purchases, arrears ----------------------------


def _instalment_rates(name: str, default: str) -> dict[int, Decimal]:
    """``"3:0,6:0,12:0.005,24:0.006"``: the monthly rate of each term (3, 6, 12 or 24 months)."""
    raw = env.str(name, default=default)
    rates = {}
    try:
        for item in raw.split(","):
            months, rate = item.split(":")
            rates[int(months)] = Decimal(rate.strip())
    except (ValueError, InvalidOperation):
        raise ImproperlyConfigured(
            f"{name} must look like '3:0,6:0,12:0.005', not {raw!r}."
        ) from None
    if not rates or set(rates) - {3, 6, 12, 24}:
        raise ImproperlyConfigured(f"{name} may only name terms of 3, 6, 12 and 24 months.")
    if any(not rate.is_finite() or not 0 <= rate < Decimal("0.1") for rate in rates.values()):
        raise ImproperlyConfigured(f"{name}: a monthly rate is between 0 and 0.1, not {raw!r}.")
    return dict(sorted(rates.items()))


# Points earned per yuan paid in (top-ups; bonuses earn none), rounded down to whole points.
BILLING_POINTS_PER_YUAN = env.int("BILLING_POINTS_PER_YUAN", default=1)
# Earned points expire at the end of the month this many months after the month they were
# earned in (earned in March 2026, 24 months: gone after 2028-03-31).
BILLING_POINTS_EXPIRY_MONTHS = env.int("BILLING_POINTS_EXPIRY_MONTHS", default=24)
if BILLING_POINTS_PER_YUAN < 0 or BILLING_POINTS_EXPIRY_MONTHS < 1:
    raise ImproperlyConfigured(
        "BILLING_POINTS_PER_YUAN must be >= 0 and BILLING_POINTS_EXPIRY_MONTHS >= 1."
    )
# A reminder goes out once when a prepaid balance falls below this.
BILLING_LOW_BALANCE_THRESHOLD = _yuan("BILLING_LOW_BALANCE_THRESHOLD", default="10.00")
# Hours between the arrears notice and the suspension of the account's lines.
BILLING_ARREARS_GRACE_HOURS = env.float("BILLING_ARREARS_GRACE_HOURS", default=72)
# Instalment terms on offer and their monthly rate (0: interest-free).
BILLING_INSTALMENT_MONTHLY_RATES = _instalment_rates(
    "BILLING_INSTALMENT_MONTHLY_RATES", default="3:0,6:0,12:0.005,24:0.006"
)
# A purchase may be cancelled, the device returned, within this many days; dues paid are refunded.
BILLING_INSTALMENT_CANCEL_DAYS = env.int("BILLING_INSTALMENT_CANCEL_DAYS", default=7)

# --- Tickets ------------------------------------------------------------------------------------

# A resolved or closed ticket may be reopened within this many days.
COMPLAINTS_REOPEN_DAYS = env.int("COMPLAINTS_REOPEN_DAYS", default=7)
# The satisfaction survey goes out this long after the resolution...
COMPLAINTS_SURVEY_DELAY_HOURS = env.float("COMPLAINTS_SURVEY_DELAY_HOURS", default=24)
# ...and when it is still unanswered this long after sending, a specialist calls back (回访),
# within COMPLAINTS_CALLBACK_DUE_HOURS.
COMPLAINTS_CALLBACK_AFTER_HOURS = env.float("COMPLAINTS_CALLBACK_AFTER_HOURS", default=48)
COMPLAINTS_CALLBACK_DUE_HOURS = env.float("COMPLAINTS_CALLBACK_DUE_HOURS", default=24)
# Survey links stop working after this many days.
COMPLAINTS_SURVEY_LINK_DAYS = env.int("COMPLAINTS_SURVEY_LINK_DAYS", default=14)
# Attachments: photos, screenshots and documents only, each at most this size.
COMPLAINTS_ATTACHMENT_MAX_BYTES = env.int("COMPLAINTS_ATTACHMENT_MAX_BYTES", default=5 * 2**20)
# The types complaints.uploads can parse to the last byte; the setting may narrow them only.
_CHECKED_ATTACHMENT_TYPES = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
]
COMPLAINTS_ATTACHMENT_TYPES = env.list(
    "COMPLAINTS_ATTACHMENT_TYPES", default=_CHECKED_ATTACHMENT_TYPES
)
if not set(COMPLAINTS_ATTACHMENT_TYPES) <= set(_CHECKED_ATTACHMENT_TYPES):
    raise ImproperlyConfigured(
        "COMPLAINTS_ATTACHMENT_TYPES may only name types the upload check parses: "
        + ", ".join(_CHECKED_ATTACHMENT_TYPES)
    )
COMPLAINTS_ATTACHMENTS_PER_TICKET = env.int("COMPLAINTS_ATTACHMENTS_PER_TICKET", default=10)
# The address survey links and e-mails point at.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Training -----------------------------------------------------------------------------------

# Overdue training is reminded again after this many days while it stays overdue.
TRAINING_REMINDER_REPEAT_DAYS = env.int("TRAINING_REMINDER_REPEAT_DAYS", default=7)
# A survey score at or below TRAINING_REMEDIAL_LOW_SCORE is low; TRAINING_REMEDIAL_THRESHOLD low
# scores on one staff member's tickets of one category within TRAINING_REMEDIAL_WINDOW_DAYS
# assign that category's course, due TRAINING_REMEDIAL_DUE_DAYS later.
TRAINING_REMEDIAL_LOW_SCORE = env.int("TRAINING_REMEDIAL_LOW_SCORE", default=2)
TRAINING_REMEDIAL_THRESHOLD = env.int("TRAINING_REMEDIAL_THRESHOLD", default=3)
TRAINING_REMEDIAL_WINDOW_DAYS = env.int("TRAINING_REMEDIAL_WINDOW_DAYS", default=30)
TRAINING_REMEDIAL_DUE_DAYS = env.int("TRAINING_REMEDIAL_DUE_DAYS", default=14)
if not 1 <= TRAINING_REMEDIAL_LOW_SCORE <= 5:
    raise ImproperlyConfigured("TRAINING_REMEDIAL_LOW_SCORE must be a survey score from 1 to 5.")
if TRAINING_REMEDIAL_THRESHOLD < 1:
    raise ImproperlyConfigured("TRAINING_REMEDIAL_THRESHOLD must be at least 1.")
# Module handouts: PDFs and pictures, each at most this size.
TRAINING_ATTACHMENT_MAX_BYTES = env.int("TRAINING_ATTACHMENT_MAX_BYTES", default=10 * 2**20)

# --- Contact channels (crm: chat, hotline/CTI, e-mail in, notices, agreements) ------------------

# A staff member counts as present while their console polled within this many seconds.
CRM_PRESENCE_TIMEOUT_SECONDS = env.int("CRM_PRESENCE_TIMEOUT_SECONDS", default=60)
# An offered chat or call not accepted within this many seconds goes to someone else.
CRM_OFFER_SECONDS = env.int("CRM_OFFER_SECONDS", default=30)
# A waiting chat whose page stopped polling this long ago leaves the queue.
CRM_CHAT_ABANDON_SECONDS = env.int("CRM_CHAT_ABANDON_SECONDS", default=120)
# The telephony system signs its webhook calls with this secret (HMAC-SHA256); empty in
# production switches the webhook off. Requests older than the skew are refused (replays).
CRM_CTI_SHARED_SECRET = env.str(
    "CRM_CTI_SHARED_SECRET", default="" if PRODUCTION else "dev-cti-secret-not-for-production"
)
CRM_CTI_MAX_SKEW_SECONDS = env.int("CRM_CTI_MAX_SKEW_SECONDS", default=300)
# The service mailbox: maildir:///path/to/Maildir or imaps://user:password@host:993/INBOX
# (imap:// for STARTTLS-less test servers); empty switches the mail job off.
CRM_MAIL_IN_URL = env.str("CRM_MAIL_IN_URL", default="")
if CRM_MAIL_IN_URL and not CRM_MAIL_IN_URL.startswith(("maildir://", "imap://", "imaps://")):
    raise ImproperlyConfigured("CRM_MAIL_IN_URL must start with maildir://, imap:// or imaps://.")
CRM_MAIL_IN_TIMEOUT = env.int("CRM_MAIL_IN_TIMEOUT", default=20)
# Our own service address: mail from it, or carrying it in X-Loop, is a loop.
CRM_MAIL_IN_ADDRESS = env.str("CRM_MAIL_IN_ADDRESS", default=DEFAULT_FROM_EMAIL)
CRM_MAIL_IN_MAX_BYTES = env.int("CRM_MAIL_IN_MAX_BYTES", default=20 * 2**20)
CRM_MAIL_IN_MAX_ATTACHMENTS = env.int("CRM_MAIL_IN_MAX_ATTACHMENTS", default=5)
# More mails than this from one sender within an hour are treated as a loop.
CRM_MAIL_IN_MAX_PER_SENDER_HOUR = env.int("CRM_MAIL_IN_MAX_PER_SENDER_HOUR", default=20)
# The evaluation of a business-hall visit is sent this long after the confirmation step.
COMPLAINTS_ORDER_SURVEY_DELAY_HOURS = env.float("COMPLAINTS_ORDER_SURVEY_DELAY_HOURS", default=2)

# --- Customer self-service portal ---------------------------------------------------------------

# Password reset by SMS code: the code's lifetime, wrong tries before it dies, and how often a
# code may be asked for (per number and per IP address in an hour, and seconds between two).
SELFSERVICE_RESET_CODE_TTL_MINUTES = env.int("SELFSERVICE_RESET_CODE_TTL_MINUTES", default=10)
SELFSERVICE_RESET_MAX_ATTEMPTS = env.int("SELFSERVICE_RESET_MAX_ATTEMPTS", default=5)
SELFSERVICE_RESET_MAX_PER_NUMBER_HOUR = env.int("SELFSERVICE_RESET_MAX_PER_NUMBER_HOUR", default=3)
SELFSERVICE_RESET_MAX_PER_IP_HOUR = env.int("SELFSERVICE_RESET_MAX_PER_IP_HOUR", default=10)
SELFSERVICE_RESET_RESEND_SECONDS = env.int("SELFSERVICE_RESET_RESEND_SECONDS", default=60)
if min(SELFSERVICE_RESET_CODE_TTL_MINUTES, SELFSERVICE_RESET_MAX_ATTEMPTS) < 1:
    raise ImproperlyConfigured(
        "SELFSERVICE_RESET_CODE_TTL_MINUTES and SELFSERVICE_RESET_MAX_ATTEMPTS must be >= 1."
    )

# --- Service reports (the supervisor's dashboards) ------------------------------------------------

# Every night the daily rollups of this many past days are recomputed, so that late changes
# (a ticket reopened within the reopen window, a survey reopening it) reach the dashboard;
# older days keep the figures of their last rollup.
REPORTS_ROLLUP_REFRESH_DAYS = env.int("REPORTS_ROLLUP_REFRESH_DAYS", default=31)
# The longest period the dashboard and its CSV exports cover.
REPORTS_MAX_PERIOD_DAYS = env.int("REPORTS_MAX_PERIOD_DAYS", default=366)
if REPORTS_ROLLUP_REFRESH_DAYS < 1 or REPORTS_MAX_PERIOD_DAYS < 1:
    raise ImproperlyConfigured(
        "REPORTS_ROLLUP_REFRESH_DAYS and REPORTS_MAX_PERIOD_DAYS must be at least 1."
    )

# --- Health -------------------------------------------------------------------------------------

# /healthz gives all its checks together this many seconds (a paused broker gives up then).
HEALTHCHECK_TIMEOUT_SECONDS = env.float("HEALTHCHECK_TIMEOUT_SECONDS", default=2.0)
# Beat schedules the heartbeat every 60 s: a newest heartbeat older than this (three missed
# beats) makes /healthz answer "degraded".
HEALTHCHECK_WORKER_MAX_AGE_SECONDS = env.int("HEALTHCHECK_WORKER_MAX_AGE_SECONDS", default=180)
# A message due this long and still not sent makes /healthz "degraded": deliveries stalled.
HEALTHCHECK_OUTBOX_MAX_WAIT_SECONDS = env.int("HEALTHCHECK_OUTBOX_MAX_WAIT_SECONDS", default=600)
if (
    HEALTHCHECK_TIMEOUT_SECONDS <= 0
    or HEALTHCHECK_WORKER_MAX_AGE_SECONDS < 1
    or HEALTHCHECK_OUTBOX_MAX_WAIT_SECONDS < 1
):
    raise ImproperlyConfigured(
        "HEALTHCHECK_TIMEOUT_SECONDS, HEALTHCHECK_WORKER_MAX_AGE_SECONDS and "
        "HEALTHCHECK_OUTBOX_MAX_WAIT_SECONDS must be positive."
    )

# --- Security -----------------------------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp; README "Content-Security-Policy"). Scripts and styles come
# from this site's own static files; an inline <script> or <style> runs only with the response's
# nonce (``nonce="{{ request.csp_nonce }}"``), inline event handlers and style="" attributes never
# (there is no 'unsafe-inline'), nor eval (no 'unsafe-eval'; htmx runs with allowEval false).
# XMLHttpRequest/fetch (htmx, the chat and console polling) go to this site only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF, csp_constants.NONCE],
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe /healthz over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/web)?$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ------------------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# One handler for the web, the worker and beat (portal.celery hands Celery this configuration).
# Every record passes its filters: a refused request or a 503 of a database outage is one line
# without a traceback, and ID and phone numbers never reach a log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        "one_line_request_errors": {"()": "portal.log_filters.OneLineRequestErrors"},
        "mask_pii": {"()": "crm.masking.PiiMaskingFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            # Masking last: it sees the final message.
            "filters": ["one_line_request_errors", "mask_pii"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's DEFAULT_LOGGING gives these two handlers of their own: "django" printed each
        # record a second time beside root's, "django.server" (runserver's request lines) wrote
        # past the PII filter. Here they only propagate to root, at its level.
        "django": {"handlers": [], "level": "NOTSET", "propagate": True},
        "django.server": {"handlers": [], "level": "NOTSET", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint reports every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
