from django.contrib import admin
from django.urls import include, path

from applications.login_security import oidc, oidc_email, password_login
from applications.login_security import views as login_security_views

from . import health, views

urlpatterns = [
    path("", include("grants.urls")),
    path("start/", views.start, name="start"),
    path("health/", health.health, name="health"),
    # Under account/: a private path, never cached (config/middleware.py).
    path("account/session/keep-alive/", views.session_keep_alive, name="session_keep_alive"),
    path("", include("applications.urls")),
    # The two-factor pages belong with Django's login and logout: URL names without a namespace.
    path("", include(login_security_views.urlpatterns)),
    path("", include(oidc.urlpatterns)),
    path("", include(oidc_email.urlpatterns)),
    # Before Django's own: the login page with the e-ID buttons and the applicants' setting.
    path("", include(password_login.urlpatterns)),
    path("review/", include("reviews.urls")),
    path("account/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]

# 403 and 404 are Django's handlers with templates/403.html and 404.html; a 500 must not depend
# on what may have failed, so it renders templates/500.html without the request (config/errors.py).
handler500 = "config.errors.server_error"
