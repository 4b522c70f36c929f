"""Staff logins in the audit log: each login, and each failed login to an existing staff account.

Connected in ``ApplicationsConfig.ready``. Who counts as staff is ``audit.staff_roles``: the
agency's roles and superusers here, reviewers added by ``reviews``. Applicants' logins are not
logged. The entries hold the account's id and roles, never the address typed or the IP address.
"""

from .audit import audit_record, staff_roles
from .models import User


def record_staff_login(sender, request, user, **kwargs) -> None:
    roles = staff_roles(user)
    if roles:
        audit_record(action="login.staff", actor=user, target=user, data={"roles": roles})


def record_failed_staff_login(sender, credentials, request=None, **kwargs) -> None:
    username = credentials.get(User.USERNAME_FIELD) or credentials.get("username")
    if not isinstance(username, str) or not username.strip():
        return
    user = User.objects.filter(email__iexact=username.strip()).first()
    if user is None:
        return
    roles = staff_roles(user)
    if roles:
        # Nobody is logged in: the account tried is the object, not the actor.
        audit_record(action="login.staff_failed", actor=None, target=user, data={"roles": roles})
