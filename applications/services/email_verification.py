"""Sign-up and the verified email address.

Sign-up answers the same whether or not the address already has an account, so the page
cannot be used to find out who has one: a new address gets a verification link, an address
with an account gets a note that someone tried to sign up with it. The link is a signed token
(``django.core.signing``) naming the account and the address, valid for
``EMAIL_VERIFICATION_VALID_FOR``; it stops working when the address is changed, and opening
it again after verifying changes nothing.
"""

from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..models import User
from ._common import _enqueue_on_commit

EMAIL_VERIFICATION_VALID_FOR = timedelta(days=3)
_SALT = "applications.email_verification"


def email_verification_token(user: User) -> str:
    """A signed, timestamped token for the user's present address."""
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=_SALT)


def _invalid_link() -> ValidationError:
    return ValidationError(
        _(
            "This link is not valid or has expired. Log in and ask for a new link from your "
            "details page."
        ),
        code="invalid_link",
    )


def user_for_verification_token(*, token: str) -> User:
    """The account a token names, if the token is genuine, in time and for its address now."""
    try:
        payload = signing.loads(
            token, salt=_SALT, max_age=EMAIL_VERIFICATION_VALID_FOR.total_seconds()
        )
    except signing.BadSignature:  # SignatureExpired is one, too
        raise _invalid_link() from None
    if not isinstance(payload, dict):
        raise _invalid_link()
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None or user.email.lower() != payload.get("e"):
        raise _invalid_link()
    return user


@transaction.atomic
def user_sign_up(
    *, email: str, full_name: str, password: str, language: str, next_path: str = ""
) -> None:
    """Sign-up: a new account and its verification link, or a note to the existing account.

    Returns nothing on purpose: the caller must answer the same in both cases. Side effect:
    exactly one email, after commit (``send_email_verification`` or
    ``send_signup_existing_account``), whose link leads on to ``next_path`` (a path on this
    site, checked by the caller). The new account cannot register an organisation, invite or
    accept an invitation until the link has been opened.
    """
    email = email.strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=password, full_name=full_name.strip(), language=language
                )
        except IntegrityError:
            # Someone signed up with the same address a moment earlier: treat it as theirs.
            existing = User.objects.get(email__iexact=email)
        else:
            _enqueue_on_commit("send_email_verification", user_id=user.pk, next_path=next_path)
            return
    # Hash the password anyway, so both answers take about as long.
    User().set_password(password)
    _enqueue_on_commit("send_signup_existing_account", user_id=existing.pk, next_path=next_path)


def email_verification_resend(*, user: User) -> None:
    """Send a new link to a person whose address is not verified yet (nothing otherwise)."""
    if user.is_authenticated and not user.email_verified:
        _enqueue_on_commit("send_email_verification", user_id=user.pk)


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Mark the address the token names as verified. Side effect: an audit entry (first time)."""
    user = user_for_verification_token(token=token)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit_record(action="user.verify_email", actor=user, target=user)
    return user
