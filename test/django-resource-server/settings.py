"""
A Django project whose business API stayed in Django while /o/ moved to the Worker: DOT's
OAuth2Authentication checks each Bearer token by asking the Worker's /o/introspect/ (DOT's
resource-server settings, below). Driven by test/e2e/django-resource-server.ts, which sets the
environment: WORKER_INTROSPECTION_URL, either INTROSPECTION_CLIENT_ID + INTROSPECTION_CLIENT_SECRET
(HTTP Basic) or INTROSPECTION_TOKEN (Bearer), and DJANGO_DATABASE (a throwaway SQLite file).
"""

import os
import secrets

SECRET_KEY = secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "urls"
# DOT compares the `exp` it reads (UTC) with local time when it keeps an answer: keep UTC.
TIME_ZONE = "UTC"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "oauth2_provider",
    "rest_framework",
]

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DJANGO_DATABASE"]},
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_client_id = os.environ.get("INTROSPECTION_CLIENT_ID")
OAUTH2_PROVIDER = {
    "RESOURCE_SERVER_INTROSPECTION_URL": os.environ["WORKER_INTROSPECTION_URL"],
    # Either the introspection client's credentials (HTTP Basic) or a Bearer token of it.
    "RESOURCE_SERVER_INTROSPECTION_CREDENTIALS": (
        (_client_id, os.environ["INTROSPECTION_CLIENT_SECRET"]) if _client_id else None
    ),
    "RESOURCE_SERVER_AUTH_TOKEN": os.environ.get("INTROSPECTION_TOKEN"),
    # How long DOT keeps an answer in its own AccessToken table: the bound on a revocation going
    # unseen here (DOT's default is 36000 s).
    "RESOURCE_SERVER_TOKEN_CACHING_SECONDS": 60,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["oauth2_provider.contrib.rest_framework.OAuth2Authentication"],
    "DEFAULT_PERMISSION_CLASSES": ["oauth2_provider.contrib.rest_framework.TokenHasScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # DOT logs why an introspection failed (status, reason) here.
    "loggers": {"oauth2_provider": {"handlers": ["console"], "level": "WARNING"}},
}
