"""Who is paying: the logged-in applicant, through motcua.applicants' contract
(``applicant_required``, ``current_applicant``). Until that app provides it, the same contract is
met here from the login alone (Applicant.user)."""

from __future__ import annotations

try:
    from motcua.applicants.access import applicant_required, current_applicant  # noqa: F401
except ImportError:  # motcua.applicants not there yet
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login
    from django.shortcuts import render
    from django.urls import NoReverseMatch, reverse

    from motcua.accounts.models import Applicant

    def current_applicant(request):
        user = request.user
        if not user.is_authenticated:
            return None
        return Applicant.objects.filter(user=user).first()

    def applicant_required(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if current_applicant(request) is not None:
                return view(request, *args, **kwargs)
            if request.user.is_authenticated:
                return render(request, "payments/not_applicant.html", status=403)
            try:
                login_url = reverse("applicants:login")
            except NoReverseMatch:
                return render(request, "payments/not_applicant.html", status=403)
            return redirect_to_login(request.get_full_path(), login_url)

        return wrapper

__all__ = ["applicant_required", "current_applicant"]
