import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (configured by the line above)

# A web server without a secret key would fail on its first request; refuse to start instead.
try:
    settings.SECRET_KEY  # noqa: B018  (Django refuses an empty key when it is read)
except ImproperlyConfigured:
    raise ImproperlyConfigured(f"DJANGO_SECRET_KEY is not set. {settings.KEY_ADVICE}") from None
