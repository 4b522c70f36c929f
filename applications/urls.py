from .views import account, applicant, late_exceptions, manage, organisations

app_name = "applications"

urlpatterns = [
    *account.urlpatterns,
    *organisations.urlpatterns,
    *applicant.urlpatterns,
    *manage.urlpatterns,
    *late_exceptions.urlpatterns,
]
