"""Who may read the statistics: leaders and inspectors, each for the units their role reaches (the
unit and everything under it). Administrators keep the catalogue and the 766 weights in the admin;
the figures lead to dossiers, which only those who work on or inspect them open."""

from __future__ import annotations

from django.db.models import QuerySet

from motcua.accounts.models import Role
from motcua.org.models import OrgUnit
from motcua.workspace.access import requires_role, units_where

__all__ = ["REPORT_ROLES", "report_units", "reports_required"]

REPORT_ROLES = (Role.LEADER, Role.INSPECTOR)


def report_units(user) -> QuerySet[OrgUnit]:
    """The units whose figures ``user`` may read (a lazy subquery)."""
    return units_where(user, *REPORT_ROLES)


# A view decorator: login, then one of the report roles somewhere (403 page otherwise).
reports_required = requires_role(*REPORT_ROLES)
