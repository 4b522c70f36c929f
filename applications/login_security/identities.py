"""The account behind an OpenID Connect login: found by the identity the provider asserts,
linked to the person already logged in, or made on the first login.

Only the minimum is kept: ``(issuer, subject)`` on ``ExternalIdentity``, the name and email on
the account, and, when the agency matches by it, a keyed hash of the personal identity number
(never the number itself). Staff SSO logins also set the person's agency roles from the
provider's groups (``OIDC_STAFF_GROUP_MAP``), every login, so a role removed there is removed
here at the next login.
"""

import logging

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from ..models import ExternalIdentity, User
from ..rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from ..services._common import _enqueue_on_commit

logger = logging.getLogger("applications.security")

# A verified e-ID login whose provider gave no email: kept in the session until the person
# gives one on the email page (``oidc_email.py``), for at most PENDING_SECONDS.
PENDING_SESSION_KEY = "oidc_pending_identity"
PENDING_SECONDS = 600

# The groups an SSO login may give or take away; any other group is left as it is.
MANAGED_GROUPS = frozenset({PROGRAMME_MANAGERS, DECISION_MAKERS})


def personal_number_hash(number: str) -> str:
    """A keyed hash of a personal identity number: equal numbers match, nothing reads back."""
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    if not digits:
        return ""
    secret = settings.OIDC_PERSONAL_NUMBER_HASH_KEY or settings.SECRET_KEY
    return salted_hmac(
        "samverket.personal-number", digits, secret=secret, algorithm="sha256"
    ).hexdigest()


def roles_from_groups(groups) -> set[str]:
    """Our agency groups for the provider's group names, through ``OIDC_STAFF_GROUP_MAP``."""
    if isinstance(groups, str):
        groups = [groups]
    mapping = settings.OIDC_STAFF_GROUP_MAP
    return {mapping[name] for name in groups or () if mapping.get(name) in MANAGED_GROUPS}


def _roles_set(user: User, roles: set[str]) -> None:
    user.groups.remove(*Group.objects.filter(name__in=MANAGED_GROUPS - roles))
    user.groups.add(*[Group.objects.get_or_create(name=name)[0] for name in sorted(roles)])


def _name(claims: dict) -> str:
    name = (claims.get("name") or "").strip()
    if not name:
        parts = [claims.get("given_name") or "", claims.get("family_name") or ""]
        name = " ".join(part.strip() for part in parts if part.strip())
    return name[:200]


def _email(claims: dict) -> str:
    email = (claims.get("email") or "").strip().lower()
    if claims.get("email_verified") is False:
        return ""
    return email


@transaction.atomic
def external_identity_login(
    *, provider: str, issuer: str, subject: str, claims: dict, current_user=None
) -> User:
    """The account to log in for a verified OpenID Connect login.

    In order: the account that already has this ``(issuer, subject)``; the logged-in person
    (``current_user``), who links this identity to their account; for the e-ID, the account
    with the same personal-number hash (a second broker); for the agency SSO, the account with
    the provider's (verified) email, as the agency vouches for its own addresses; otherwise a
    new account with the provider's name and email. Raises ``ValidationError`` with a message
    for the person when none of that can be done (no email to make an account with, the email
    belongs to an account that must be linked by logging in first, an identity that belongs to
    someone else).

    Side effects: an ``ExternalIdentity`` (made or its ``last_login_at`` updated), perhaps a
    new account, and for ``staff`` the person's agency roles set from the groups claim.
    """
    if not issuer or not subject:
        raise ValidationError(_("The login service did not say who you are."), code="no_subject")
    number_hash = ""
    if provider == ExternalIdentity.Provider.EID and settings.OIDC_EID_PERSONAL_NUMBER_CLAIM:
        number_hash = personal_number_hash(claims.get(settings.OIDC_EID_PERSONAL_NUMBER_CLAIM, ""))
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is not None:
        user = identity.user
        if current_user is not None and current_user.pk != user.pk:
            raise ValidationError(
                _("This e-legitimation is already connected to another account."),
                code="other_account",
            )
    else:
        user = current_user or _match_or_create(provider, claims, number_hash)
        try:
            with transaction.atomic():
                identity = ExternalIdentity.objects.create(
                    user=user, provider=provider, issuer=issuer, subject=subject
                )
        except IntegrityError:
            # The same login finished twice at once: the other request made the identity.
            identity = ExternalIdentity.objects.get(issuer=issuer, subject=subject)
            user = identity.user
    identity.last_login_at = timezone.now()
    if number_hash:
        identity.personal_number_hash = number_hash
    identity.save(update_fields=["last_login_at", "personal_number_hash"])
    if provider == ExternalIdentity.Provider.STAFF:
        _roles_set(user, roles_from_groups(claims.get(settings.OIDC_STAFF_GROUPS_CLAIM)))
    return user


def pending_identity(*, provider: str, issuer: str, subject: str, claims: dict) -> dict:
    """What the email page needs to finish a first login without an email (no claims kept
    beyond the name, and the keyed hash when matching by personal number is on)."""
    number_hash = ""
    if settings.OIDC_EID_PERSONAL_NUMBER_CLAIM:
        number_hash = personal_number_hash(claims.get(settings.OIDC_EID_PERSONAL_NUMBER_CLAIM, ""))
    return {
        "provider": provider,
        "issuer": issuer,
        "subject": subject,
        "name": _name(claims),
        "number_hash": number_hash,
        "until": timezone.now().timestamp() + PENDING_SECONDS,
    }


@transaction.atomic
def external_identity_create_with_email(*, pending: dict, email: str) -> User:
    """Finish a first e-ID login whose provider gave no email, with the email the person typed.

    Side effects: a new account (no password) with the provider's name, and its
    ``ExternalIdentity``. Refuses an email that already has an account (the person logs in
    with it and links the e-ID instead), an identity that meanwhile got an account, and a
    pending login that has expired.
    """
    if not pending or pending.get("until", 0) < timezone.now().timestamp():
        raise ValidationError(_("The login has expired. Log in again."), code="expired")
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            _(
                "There is already an account with the email address %(email)s. Log in with its "
                "password first, then log in with e-legitimation to connect it."
            )
            % {"email": email},
            code="email_taken",
        )
    if ExternalIdentity.objects.filter(
        issuer=pending["issuer"], subject=pending["subject"]
    ).exists():
        raise ValidationError(_("The login has expired. Log in again."), code="expired")
    user = User.objects.create_user(email=email, full_name=pending.get("name", ""))
    user.set_unusable_password()
    user.save(update_fields=["password"])
    # Typed by the person, not asserted by the provider: confirmed by the usual link.
    _enqueue_on_commit("send_email_verification", user_id=user.pk)
    ExternalIdentity.objects.create(
        user=user,
        provider=pending["provider"],
        issuer=pending["issuer"],
        subject=pending["subject"],
        personal_number_hash=pending.get("number_hash", ""),
    )
    logger.info("account %s made at its first %s login", user.pk, pending["provider"])
    return user


def _match_or_create(provider: str, claims: dict, number_hash: str) -> User:
    if number_hash:
        known = (
            ExternalIdentity.objects.filter(personal_number_hash=number_hash)
            .select_related("user")
            .first()
        )
        if known is not None:
            return known.user
    email = _email(claims)
    if not email:
        raise ValidationError(
            _(
                "The login service did not give an email address. Create an account or log in "
                "with your password first, then log in with e-legitimation to connect it."
            ),
            code="no_email",
        )
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        if provider == ExternalIdentity.Provider.STAFF:
            return existing
        raise ValidationError(
            _(
                "There is already an account with the email address %(email)s. Log in with its "
                "password first, then log in with e-legitimation to connect it."
            )
            % {"email": email},
            code="email_taken",
        )
    user = User.objects.create_user(email=email, full_name=_name(claims))
    user.set_unusable_password()
    # The provider vouches for the address it asserts as verified (the agency's own SSO for
    # every address it gives): no link to click. Anything else is verified as at sign-up.
    if provider == ExternalIdentity.Provider.STAFF or claims.get("email_verified") is True:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["password", "email_verified_at"])
    else:
        user.save(update_fields=["password"])
        _enqueue_on_commit("send_email_verification", user_id=user.pk)
    logger.info("account %s made at its first %s login", user.pk, provider)
    return user
