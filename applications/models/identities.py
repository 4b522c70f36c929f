from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExternalIdentity(models.Model):
    """A person's identity at an OpenID Connect provider (e-ID broker or the agency's SSO).

    Matched by ``(issuer, subject)``, the pair the provider asserts; nothing else the provider
    says is kept here (the name and email go to the account). ``personal_number_hash`` is a
    keyed hash of the personal identity number, only when matching by it is turned on
    (``OIDC_EID_PERSONAL_NUMBER_CLAIM``): it finds the same person behind a second broker and
    can never be shown or turned back into the number.
    """

    class Provider(models.TextChoices):
        EID = "eid", _("e-legitimation")
        STAFF = "staff", _("agency account")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    personal_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_login_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="external_identity_issuer_subject_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} ({self.issuer})"
