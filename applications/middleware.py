from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Swedish unless the person has chosen English.

    A Swedish public e-service speaks Swedish by default, whatever the browser's
    Accept-Language says; English is a choice, remembered on the person when logged in
    (so it follows them to every device) and in a cookie otherwise. Replaces Django's
    LocaleMiddleware and must run after authentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user.language
        else:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
