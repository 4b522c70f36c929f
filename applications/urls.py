from .views import (
    account,
    applicant,
    audit,
    calls,
    decisions,
    follow_up,
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
    *follow_up.urlpatterns,
    *overview.urlpatterns,
    *register.urlpatterns,
]
