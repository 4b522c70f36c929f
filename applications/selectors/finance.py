"""Reads for the finance system's export."""

from django.db.models import QuerySet

from ..enums import PaymentStatus
from ..models import Payment, RepaymentClaim


def finance_outstanding(*, call=None) -> tuple[QuerySet, QuerySet]:
    """For the finance system: instalments due and not yet paid, oldest first, and repayment
    claims not yet received, each with its application, organisation and call; of one call or
    of all."""

    payments = Payment.objects.filter(status=PaymentStatus.DUE)
    claims = RepaymentClaim.objects.filter(settled_on__isnull=True)
    if call is not None:
        payments = payments.filter(application__call=call)
        claims = claims.filter(application__call=call)
    related = ("application__organisation", "application__call")
    return (
        payments.select_related(*related).order_by(
            "due_since", "application__registration_number", "position"
        ),
        claims.select_related(*related).order_by("created_at", "pk"),
    )
