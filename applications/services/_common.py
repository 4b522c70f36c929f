"""What the services of every feature share: the permission check, the row lock, the transition
log, and queueing a task after commit."""

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from ..audit import audit_record
from ..enums import ApplicationState
from ..models import Application, ApplicationTransition, User

S = ApplicationState


def _require(user, perm: str, obj=None) -> None:
    if not rules.has_perm(f"applications.{perm}", user, obj):
        raise PermissionDenied


def _local(moment) -> str:
    """A moment as Swedes write it, in Stockholm time, whatever the reader's language."""
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _log(application: Application, *, name: str, source: str, by: User | None, comment: str = ""):
    _log_transition(
        application, name=name, source=source, target=application.state, by=by, comment=comment
    )
    _audit_transition(application, name=name, source=source, by=by)


def _log_transition(
    application: Application, *, name: str, source: str, target: str, by: User | None, comment: str
) -> None:
    ApplicationTransition.objects.create(
        application=application,
        name=name,
        source=source,
        target=target,
        actor=by,
        comment=comment,
    )


def _audit_transition(application: Application, *, name: str, source: str, by: User | None):
    # The comment (a reason, a message to the applicant) stays in the transition log: the
    # audit log holds no free text.
    audit_record(
        action=f"application.{name}",
        actor=by,
        target=application,
        data={"from": source, "to": application.state},
    )


def _save_transition(application: Application) -> None:
    try:
        application.save()
    except ConcurrentTransition:
        raise ValidationError(
            _("Someone else changed this application at the same moment. Reload and try again.")
        ) from None


def _lock(application: Application, *, prefetch: tuple[str, ...] = ()) -> Application:
    # ``of=("self",)``: only the application's row. A plain FOR UPDATE over the join would lock
    # the call's and the organisation's rows too, and every submit to a call would wait for
    # the one before it to commit (the budget lock on the call is taken where it is meant).
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation", "hub")
        .prefetch_related(*prefetch)
        .get(pk=application.pk)
    )


def _enqueue_on_commit(task_name: str, **kwargs) -> None:
    """Queue the task ``applications.tasks.<task_name>`` once the transaction commits.

    The task is named, not imported: the tasks are an edge above the services (the letter task
    runs the release service), so the services know their background work by the path its
    queued row stores, as zulip's actions know their queues by name. The task is looked up
    now, so a wrong name fails the service at once, not only when the transaction commits.
    """
    task = import_string(f"applications.tasks.{task_name}")
    transaction.on_commit(lambda: task.enqueue(**kwargs))
