from .views import (
    account,
    applicant,
    audit,
    call_form,
    calls,
    decisions,
    follow_up,
    follow_up_manage,
    late_exceptions,
    letters,
    manage,
    organisation_checks,
    organisations,
    overview,
    privacy,
    register,
)

app_name = "applications"

urlpatterns = [
    *account.urlpatterns,
    *privacy.urlpatterns,
    *organisations.urlpatterns,
    *applicant.urlpatterns,
    *manage.urlpatterns,
    *late_exceptions.urlpatterns,
    *organisation_checks.urlpatterns,
    *decisions.urlpatterns,
    *letters.urlpatterns,
    *audit.urlpatterns,
    *calls.urlpatterns,
    *call_form.urlpatterns,
    *follow_up.urlpatterns,
    *follow_up_manage.urlpatterns,
    *overview.urlpatterns,
    *register.urlpatterns,
]
