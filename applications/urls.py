from .views import account, applicant, manage, organisations

app_name = "applications"

urlpatterns = [
    *account.urlpatterns,
    *organisations.urlpatterns,
    *applicant.urlpatterns,
    *manage.urlpatterns,
]
