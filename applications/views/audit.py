"""The audit log for programme managers: every entry, newest first, filtered and paginated.

Read only: there is nothing to change here (entries are never changed). The chain itself is
checked by ``manage.py audit_verify``.
"""

import rules
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path

from ..audit import audit_entries
from ..forms.audit import AuditFilterForm
from ..selectors.audit import audit_log_rows

PAGE_SIZE = 50


@login_required
def audit_log(request):
    if not rules.has_perm("applications.view_audit_log", request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    filters = form.cleaned_data if form.is_bound and valid else {}
    entries = audit_entries(
        action=filters.get("action") or "",
        object_type=filters.get("object_type") or "",
        object_id=filters.get("object_id"),
    )
    if not valid:
        entries = entries.none()  # the errors are shown by their fields
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = audit_log_rows(page.object_list)
    return render(
        request,
        "applications/manage/audit.html",
        {"form": form, "page": page, "rows": rows, "valid": valid},
    )


urlpatterns = [path("manage/audit/", audit_log, name="audit_log")]
