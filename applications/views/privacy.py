"""A person's own data: what the service holds about them, on a page and as one JSON file."""

import datetime as dt
import json

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header

from .. import personal_data
from ..selectors.personal_data import personal_data_for


class _PersonalDataEncoder(DjangoJSONEncoder):
    """Times as Stockholm local time with their offset, as the pages show them."""

    def default(self, o):
        if isinstance(o, dt.datetime) and timezone.is_aware(o):
            return timezone.localtime(o).isoformat(timespec="seconds")
        return super().default(o)


@login_required
def my_data(request):
    """Any logged-in person sees what is held about them, grouped, with the download link."""
    data = personal_data_for(request.user)
    parts = [{"template": part.template, "data": data[part.key]} for part in personal_data.parts()]
    return render(request, "applications/account/my_data.html", {"data": data, "parts": parts})


@login_required
def my_data_download(request):
    """The same data as one JSON file: an attachment, private and never stored by a cache."""
    data = personal_data_for(request.user)
    body = json.dumps(data, cls=_PersonalDataEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"samverket-my-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("account/my-data/", my_data, name="my_data"),
    path("account/my-data/download/", my_data_download, name="my_data_download"),
]
