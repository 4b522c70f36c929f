"""The committed amount of a call (``CallCommitment``): locked, read and changed here only.

Every service that changes what a call has committed (confirming an approval or a correction of
one, a grant lapsing) first takes the call's row lock with ``call_lock`` and then changes the
kept figure with ``commitment_change`` inside the same transaction. Locks are taken in one order
everywhere, the call's row before the application's, so a lapse and a confirmation of the same
call never wait for each other in a circle.
"""

from django.db.models import F

from grants.models import Call

from ..enums import ApplicationState
from ..models import Acceptance, Application, CallCommitment


def call_lock(call_id: int) -> Call:
    """The call, its row locked until the transaction ends (the budget's lock)."""
    return Call.objects.select_for_update().get(pk=call_id)


def commitment_change(*, call: Call, delta: int) -> None:
    """Add ``delta`` kronor (negative to release) to the call's committed amount.

    The caller holds the call's row lock, so no one else makes the row or changes it meanwhile.
    """
    if not delta:
        return
    # One statement once the row exists (from the call's first commitment on).
    if not CallCommitment.objects.filter(call_id=call.pk).update(amount=F("amount") + delta):
        CallCommitment.objects.create(call_id=call.pk, amount=delta)


def counts_against_budget(application: Application) -> bool:
    """Whether the application's effective approval counts: not when the grant lapsed (closed
    without an acceptance), which gives its money back to the call."""
    return not (
        application.state == ApplicationState.CLOSED
        and not Acceptance.objects.filter(application_id=application.pk).exists()
    )
