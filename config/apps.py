from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The settings package holds site-wide static files, translations and templates tags."""

    name = "config"
    label = "site_config"
    verbose_name = "Samverket"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import request_finished

        from . import ratelimits  # noqa: F401  (registers the rate-limit cache check)
        from .middleware import forget_request_id, note_session_start

        user_logged_in.connect(note_session_start, dispatch_uid="samverket_session_start")
        request_finished.connect(forget_request_id, dispatch_uid="samverket_forget_request_id")
