from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Applications")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import checks  # noqa: F401 (registers the system checks)
        from .converters import register_converters
        from .login_security import (  # noqa: F401 (receivers)
            assurance,
            lockout,
            staff_logins,
            two_factor,
        )
        from .rules import is_decision_maker, is_programme_manager

        register_converters()
        _register_job_runners()
        staff_logins.register_staff_role("superuser", lambda user: user.is_superuser)
        staff_logins.register_staff_role("programme_manager", is_programme_manager.test)
        staff_logins.register_staff_role("decision_maker", is_decision_maker.test)
        user_logged_in.connect(staff_logins.record_staff_login, dispatch_uid="audit_staff_login")
        user_login_failed.connect(
            staff_logins.record_failed_staff_login, dispatch_uid="audit_failed_staff_login"
        )


def _register_job_runners() -> None:
    """What each kind of background job runs (``services.jobs``); ``reviews`` adds its own."""
    from . import daily_tasks, export_jobs  # noqa: F401 (daily_tasks registers the day's jobs)
    from .services import decisions, letters
    from .services.jobs import job_runner_register

    job_runner_register(decisions.CONFIRM_RUNNER, decisions.decisions_confirm_run)
    job_runner_register(export_jobs.EXPORT_RUNNER, export_jobs.export_run)
    job_runner_register(letters.LETTER_RUNNER, letters.letters_run)
