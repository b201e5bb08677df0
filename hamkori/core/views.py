from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from hamkori.core.views_access import public
from hamkori.programmes.models import Programme


@public
def home(request: HttpRequest) -> HttpResponse:
    """The front page: what Hamkori is; for a signed-in user, their programmes."""
    programmes = list(Programme.objects.visible_to(request.user)) if request.user.is_authenticated else []
    if len(programmes) == 1 and request.GET.get("stay") is None:
        return redirect("programme_overview", code=programmes[0].code)
    return render(request, "core/home.html", {"programmes": programmes})


@public
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
