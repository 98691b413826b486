"""Who is the applicant behind a request: the contract every portal page builds on.

- ``current_applicant(request)``: the signed-in user's Applicant, or None — for a visitor, for staff,
  and for an account whose code has not been entered yet (it has no Applicant until then).
- ``@applicant_required``: a page for applicants only. A visitor is sent to the login page with
  ``?next=`` back here; a signed-in user without an Applicant (staff, say) gets a Vietnamese 403 page.
  The view finds the applicant on ``request.applicant``.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse

from motcua.accounts.models import Applicant

__all__ = ["current_applicant", "applicant_required"]


def current_applicant(request) -> Applicant | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(request, "_motcua_applicant", False)
    if cached is not False:
        return cached
    # A user whose portal account still waits for its code has no Applicant yet; the extra filter
    # keeps it that way should someone link one by hand. Users linked at the desk (no portal account)
    # count as verified: the desk saw their papers.
    applicant = (Applicant.objects.filter(user=user)
                 .exclude(user__portal_account__verified_at__isnull=True, user__portal_account__isnull=False)
                 .select_related("user").first())
    request._motcua_applicant = applicant
    return applicant


def applicant_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            login_url = reverse("applicants:login")
            return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
        applicant = current_applicant(request)
        if applicant is None:
            return render(request, "applicants/forbidden.html", status=403)
        request.applicant = applicant
        return view(request, *args, **kwargs)
    return wrapped
