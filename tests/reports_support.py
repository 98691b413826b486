"""What the report tests share: generated history, the months of a window, and `motcua report`
called in-process (exit status, standard output, standard error)."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command

from motcua import demo
from motcua.calendar.core import TZ
from motcua.dossiers import generate as g
from motcua.dossiers.models import Dossier
from motcua.reports.bieu06 import Period

# The generated window: eight months ending here (November to June).
UNTIL = dt.datetime(2026, 6, 30, 17, 0, tzinfo=TZ)
MONTHS = 8


def generate_history(dossiers: int, seed: int, months: int = MONTHS) -> None:
    """The demo province with ``dossiers`` generated over ``months`` months ending at UNTIL."""
    demo.load_demo()
    g.provide_role_holders()
    g.generate(dossiers=dossiers, months=months, seed=seed, until=UNTIL, fork=False)
    assert Dossier.objects.count() == dossiers


def months(first: dt.date, count: int) -> list[Period]:
    """``count`` calendar months from ``first`` (the first of a month), as report periods."""
    periods = []
    for _ in range(count):
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        periods.append(Period(first, following - dt.timedelta(days=1)))
        first = following
    return periods


def run_command(name: str, *args, binary: bool = False) -> tuple[int, str | bytes, str]:
    """``motcua <name> …`` in-process: (exit status, standard output, standard error). With ``binary``
    standard output is a byte stream (as a terminal's is) and comes back as bytes."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8") if binary else io.StringIO()
    err = io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    if binary:
        out.flush()
        return code, raw.getvalue(), err.getvalue()
    return code, out.getvalue(), err.getvalue()
