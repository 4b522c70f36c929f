from .views import (
    account,
    applicant,
    audit,
    decisions,
    late_exceptions,
    letters,
    manage,
    organisations,
    privacy,
)

app_name = "applications"

urlpatterns = [
    *account.urlpatterns,
    *privacy.urlpatterns,
    *organisations.urlpatterns,
    *applicant.urlpatterns,
    *manage.urlpatterns,
    *late_exceptions.urlpatterns,
    *decisions.urlpatterns,
    *letters.urlpatterns,
    *audit.urlpatterns,
]
