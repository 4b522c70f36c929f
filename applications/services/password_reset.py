"""Asking for a new password: the email is queued, never sent in the request.

Sending in the request (rendering, then waiting on the mail server) takes measurably longer for
an address that has an account than for one that has none, and that difference would tell
anyone which addresses are registered. Queued, both answers take the same time and say the same
(``password_reset_done``); the worker sends the link only where there is an account.
"""

from django.utils.module_loading import import_string


def password_reset_email_queue(*, user_id: int, protocol: str, domain: str) -> None:
    """Queue the reset link for this person. Side effects: a task ``send_password_reset``; the
    link and its token are made when the email is written.

    Queued at once, not after commit: nothing is written here for it to wait for. Named, not
    imported, as ``_common._enqueue_on_commit`` explains.
    """
    task = import_string("applications.tasks.send_password_reset")
    task.enqueue(user_id=user_id, protocol=protocol, domain=domain)
