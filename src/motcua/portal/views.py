"""Public catalogue pages: home, search with filters, the procedure page, document templates."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from motcua.catalog.models import Level, OnlineMode, RequiredDocument, Sector
from motcua.catalog.search import CatalogueQuery, published_procedures, search_catalogue, versions_in_force
from motcua.org.models import Desk, OrgUnit
from motcua.portal.sheet import ONLINE_WORDS, procedure_sheet
from motcua.text import fold

ONLINE_CHOICES = [(OnlineMode.FULL, "Toàn trình"), (OnlineMode.PARTIAL, "Một phần"),
                  (OnlineMode.NONE, "Không trực tuyến")]


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def read_query(request: HttpRequest, units: dict[int, OrgUnit]) -> CatalogueQuery:
    """The search from the address bar; a value that is not one of the choices is ignored."""
    get = request.GET
    level = get.get("cap", "")
    online = get.get("tructuyen", "")
    return CatalogueQuery(
        text=get.get("q", "")[:200], sector=get.get("linhvuc", "")[:30],
        unit=units.get(_int(get.get("donvi"), 0)),
        level=level if level in Level.values else "", online=online if online in OnlineMode.values else "",
        page=_int(get.get("trang"), 1) or 1,
    )


def _choices(today) -> dict:
    """Filter options: only sectors and units that have a published procedure (or host a desk)."""
    published = published_procedures(today)
    sectors = (Sector.objects.annotate(published=Count("procedures", filter=Q(procedures__in=published.values("pk"))))
               .filter(published__gt=0))
    units = OrgUnit.objects.filter(
        Q(procedures__in=published.values("pk")) | Q(desks__in=Desk.objects.filter(is_active=True))).distinct()
    units = sorted(units, key=lambda u: fold(u.name))
    return {"sectors": sorted(sectors, key=lambda s: fold(s.name)), "units": units,
            "levels": Level.choices, "online_choices": ONLINE_CHOICES}


def _page_links(request: HttpRequest, page) -> dict:
    params = request.GET.copy()
    params.pop("trang", None)
    base = params.urlencode()
    link = lambda n: f"?{base + '&' if base else ''}trang={n}"  # noqa: E731
    return {"previous_url": link(page.page - 1) if page.has_previous else "",
            "next_url": link(page.page + 1) if page.has_next else ""}


@require_GET
def catalogue(request: HttpRequest, home: bool = False) -> HttpResponse:
    today = timezone.localdate()
    choices = _choices(today)
    query = read_query(request, {u.pk: u for u in choices["units"]})
    searching = bool(query.text.strip() or query.sector or query.unit or query.level or query.online)
    page = search_catalogue(query, today) if (searching or not home) else None
    context = {"query": query, "searching": searching, "page": page, "home": home, **choices,
               "online_words": {k: v[0] for k, v in ONLINE_WORDS.items()}}
    if page is not None:
        context.update(_page_links(request, page))
    if home:
        context["province"] = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    return render(request, "portal/home.html" if home else "portal/catalogue.html", context)


def home(request: HttpRequest) -> HttpResponse:
    return catalogue(request, home=True)


@require_GET
def procedure(request: HttpRequest, code: str) -> HttpResponse:
    sheet = procedure_sheet(code.upper(), timezone.localdate())
    if sheet is None:
        raise Http404("Không có thủ tục đang công khai với mã này.")
    return render(request, "portal/procedure.html", {"sheet": sheet})


@require_GET
def template(request: HttpRequest, code: str, document: int) -> FileResponse:
    """A form (mẫu đơn, tờ khai) of a document required by a version in force today."""
    today = timezone.localdate()
    doc = (RequiredDocument.objects.filter(
        pk=document, variant__version__procedure__code=code.upper(),
        variant__version__in=versions_in_force(today)).exclude(template="").first())
    if doc is None:
        raise Http404("Không có mẫu này.")
    try:
        handle = doc.template.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Không có mẫu này.") from exc
    return FileResponse(handle, as_attachment=True, filename=PurePosixPath(doc.template.name).name)
