"""Language: Simplified Chinese unless the user chose another language.

Django's LocaleMiddleware follows the browser's Accept-Language header; our
users are Chinese civil servants whose office browsers often say "en-US", so
only an explicit choice (the language cookie set by /i18n/setlang/) counts.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
