from .views import assignments, criteria, manage, ranking, reviewer

app_name = "reviews"

# Mounted at /review/. Reviewer pages first; the programme manager's under manage/.
urlpatterns = [
    *reviewer.urlpatterns,
    *manage.urlpatterns,
    *assignments.urlpatterns,
    *ranking.urlpatterns,
    *criteria.urlpatterns,
]
