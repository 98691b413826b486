"""The return desk: find a dossier by its code or by scanning the receipt's QR code (the scanner
types the lookup address and Enter), hand back the result and the originals, or record that it went
by post. Returning is the ``return_result`` command, posted like every command of the dossier page.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from motcua.accounts.models import Role
from motcua.dossiers import services
from motcua.dossiers.models import Delivery, Dossier, DossierDocument, DocumentStage, State
from motcua.workspace.access import lookup, requires_role, units_where, visible_dossiers
from motcua.workspace.clock import Clock
from motcua.workspace.commands import DELIVERY_CHOICES
from motcua.workspace.inbox import page_of

__all__ = ["returns", "code_from_scan"]

WAITING = (State.RESULT_READY, State.REFUSED)


def code_from_scan(text: str) -> str:
    """The dossier code (or reference) from what was typed or scanned: the code itself, or the QR's
    lookup address ``…/tra-cuu/?ma=<code>`` (``?ref=<uuid>`` before reception)."""
    text = (text or "").strip()
    if "?" in text or text.startswith(("http://", "https://")):
        query = parse_qs(urlparse(text).query)
        for key in ("ma", "ref"):
            if query.get(key):
                return query[key][0].strip()
    return text


@requires_role(Role.RECEPTIONIST)
def returns(request: HttpRequest) -> HttpResponse:
    typed = (request.GET.get("ma") or "").strip()[:300]
    found, problem, refusal = None, "", None
    if typed:
        ident = code_from_scan(typed)
        where = lookup(ident)
        if where is None:
            problem = f"“{ident}” không phải mã hồ sơ."
        else:
            found = (visible_dossiers(request.user).filter(**where)
                     .select_related("procedure_version__procedure", "applicant", "resolving_unit", "current_step")
                     .first())
            if found is None:
                problem = f"Không tìm thấy hồ sơ {ident} trong phạm vi đơn vị của bạn."
            else:
                refusal = services.available_commands(found, request.user)["return_result"]
    mine = units_where(request.user, Role.RECEPTIONIST).values("pk")
    waiting = Dossier.objects.filter(state__in=WAITING, returning_unit__in=mine)
    page = page_of(waiting.select_related("procedure_version__procedure", "applicant", "resolving_unit"),
                   request.GET.get("sau"), field="finished_at")
    clock = Clock(timezone.now())
    context = {
        "typed": typed, "d": found, "problem": problem, "refusal": refusal,
        "standing": clock.standing(found) if found else None,
        "originals": (DossierDocument.objects.filter(dossier=found, kind="original")
                      .exclude(stage=DocumentStage.RESULT).order_by("pk") if found else []),
        "results": (DossierDocument.objects.filter(dossier=found, stage=DocumentStage.RESULT) if found else []),
        "delivery_choices": DELIVERY_CHOICES, "delivery_label": Delivery(found.delivery).label if found else "",
        "rows": [(d, clock.standing(d)) for d in page.rows], "next_key": page.next_key, "count": waiting.count(),
    }
    return render(request, "workspace/returns.html", context)
