"""Public home page: who runs this one-stop shop and what procedures it publishes."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from motcua.catalog.models import Sector
from motcua.catalog.services import search_procedures
from motcua.org.models import OrgUnit
from motcua.text import fold


def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    procedures = search_procedures(query) if query else None
    return render(request, "web/home.html", {
        "province": OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first(),
        # Vietnamese order ("Đất đai" next to "Dân số"), which a byte-wise ORDER BY does not give.
        "sectors": sorted(Sector.objects.annotate(n=Count("procedures")).filter(n__gt=0), key=lambda s: fold(s.name)),
        "query": query,
        "procedures": procedures.select_related("sector").order_by("code")[:50] if procedures is not None else None,
    })


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
