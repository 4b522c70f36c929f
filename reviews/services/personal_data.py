"""Writes: the reviewer's part of anonymising a person (handed to
``applications.personal_data`` in ``ReviewsConfig.ready``)."""

from django.db.models import Q

from applications.models import User

from ..models import PanelInvitation, PanelMember


def reviewer_personal_data_anonymise(*, user: User, old_email: str, at) -> None:
    """The reviewer's part of anonymising a person (``applications``' retention job, inside its
    transaction, after the user row is anonymised).

    Side effects: panel invitations to the old address carry the anonymised one, pending ones
    are ended, and the employer recorded on each panel seat is blanked (only people whose
    panels are all finished are anonymised, so no conflict check needs it any more). The
    declarations, assignments and reviews stay: they are the case's record, and no longer name
    the person.
    """

    PanelInvitation.objects.filter(Q(email__iexact=old_email) | Q(accepted_by=user)).update(
        email=user.email
    )
    PanelInvitation.objects.filter(
        email=user.email, accepted_at__isnull=True, expires_at__gt=at
    ).update(expires_at=at)
    PanelMember.objects.filter(user=user).update(employer_name="", employer_orgnr="")
