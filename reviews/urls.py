from .views import criteria, manage, ranking, reviewer

app_name = "reviews"

# Mounted at /review/. Reviewer pages first; the programme manager's under manage/.
urlpatterns = [
    *reviewer.urlpatterns,
    *manage.urlpatterns,
    *ranking.urlpatterns,
    *criteria.urlpatterns,
]
