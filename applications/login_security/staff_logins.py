"""Staff logins in the audit log: each login, and each failed login to an existing staff account.

Connected in ``ApplicationsConfig.ready``. Who counts as staff is ``staff_roles``: the agency's
roles and superusers, registered by ``applications``, and reviewers, added by ``reviews``.
Applicants' logins are not logged. The entries hold the account's id and roles, never the
address typed or the IP address.
"""

from collections.abc import Callable

from ..audit import audit_record
from ..models import User

# (role name, test) pairs. ``applications`` knows the agency's roles; an app higher up the
# import line adds its own (``reviews`` adds the reviewer) from its AppConfig.ready().
_STAFF_ROLES: list[tuple[str, Callable[[User], bool]]] = []


def register_staff_role(name: str, test: Callable[[User], bool]) -> None:
    """Count holders of a role as staff: their logins, and failed logins, go in the log."""
    if name not in {known for known, _test in _STAFF_ROLES}:
        _STAFF_ROLES.append((name, test))


def staff_roles(user: User) -> list[str]:
    """The staff roles a person holds (empty for an applicant), in registration order."""
    if user is None or not user.is_active:
        return []
    return [name for name, test in _STAFF_ROLES if test(user)]


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
