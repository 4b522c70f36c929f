import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.enums import OrganisationKind

from ..enums import ClaimStatus, County, Language, VerificationStatus


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in by email address.

    Agency roles (programme manager, decision maker) are Django groups, checked through the
    predicates in ``applications.rules``; an applicant's rights come from memberships.
    """

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set when the person opened the link sent to ``email``; an account without it may not
    # register an organisation, invite anyone or accept an invitation.
    email_verified_at = models.DateTimeField(_("email address verified"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class Organisation(models.Model):
    """A legal entity that applies, identified by its Swedish organisation number.

    Whoever registers it only *declares* its kind; the agency checks number, name and kind
    against what it knows and records the verified kind, which is the one eligibility asks.
    Until then the organisation may draft but not submit.
    """

    orgnr = models.CharField(_("organisation number"), max_length=11, unique=True)
    name = models.CharField(_("name"), max_length=200)
    declared_kind = models.CharField(
        _("kind (as declared)"), max_length=20, choices=OrganisationKind.choices
    )
    verified_kind = models.CharField(
        _("kind (as verified)"), max_length=20, choices=OrganisationKind.choices, blank=True
    )
    verification_status = models.CharField(
        _("verification"),
        max_length=10,
        choices=VerificationStatus.choices,
        default=VerificationStatus.PENDING,
    )
    verified_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("checked by"),
    )
    verification_note = models.TextField(_("note on the check"), blank=True)
    county = models.CharField(_("county"), max_length=2, choices=County.choices)
    address = models.TextField(_("postal address"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )

    class Meta:
        ordering = ["name"]
        # The case list sorts by it and reads the first page from the index.
        indexes = [models.Index(fields=["name"], name="organisation_name_idx")]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(orgnr__regex=r"^[0-9]{6}-[0-9]{4}$"), name="orgnr_normalised"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.orgnr})"

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    @property
    def eligibility_kind(self) -> str:
        """The kind that decides eligibility: the verified one, none before the check."""
        return self.verified_kind if self.is_verified else ""

    @property
    def provisional_kind(self) -> str:
        """The kind to start a draft with: the verified one, else the declared one."""
        return self.verified_kind if self.is_verified else self.declared_kind


class Membership(models.Model):
    """A person's place in an organisation: administrator and signing right are separate."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    is_admin = models.BooleanField(_("administrator"), default=False)
    is_signatory = models.BooleanField(_("signing right"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "user__full_name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """An administrator's invitation of a colleague, by email, with the roles to get."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    is_admin = models.BooleanField(_("administrator"), default=False)
    is_signatory = models.BooleanField(_("signing right"), default=False)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    def is_usable(self, at=None) -> bool:
        return self.accepted_at is None and (at or timezone.now()) < self.expires_at


class OrganisationClaim(models.Model):
    """Someone says a registered organisation number is theirs; a programme manager decides."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="claims")
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_claims"
    )
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.OPEN
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(_("note on the decision"), blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("claim to an organisation")
        verbose_name_plural = _("claims to organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "claimant"],
                condition=Q(status="open"),
                name="one_open_claim_per_person_and_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.claimant} → {self.organisation}"
