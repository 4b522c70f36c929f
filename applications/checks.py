"""System checks of the applications app (``manage.py check --deploy``)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_malware_scanning(app_configs, **kwargs):
    """Production hands attachments to reviewers and staff: they must be scanned first."""
    if settings.CLAMAV_ENABLED:
        return []
    return [
        checks.Error(
            "Malware scanning of attachments is off (CLAMAV_ENABLED=false).",
            hint="Run clamd and set CLAMD_SOCKET or CLAMD_HOST; see docs/deploy.md.",
            id="samverket.E001",
        )
    ]
