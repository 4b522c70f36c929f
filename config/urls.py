from django.contrib import admin
from django.urls import include, path

from . import health, views

urlpatterns = [
    path("", include("grants.urls")),
    path("start/", views.start, name="start"),
    path("health/", health.health, name="health"),
    path("", include("applications.urls")),
    path("review/", include("reviews.urls")),
    path("account/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
