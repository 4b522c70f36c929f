from django.utils import translation


class UserLanguageMiddleware:
    """Use a logged-in person's remembered language unless the URL asks otherwise.

    Runs after ``LocaleMiddleware`` and authentication, so the choice stored on the user wins
    over the browser's Accept-Language on every device they log in from.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
