"""What each role may do in the admin: Django model permissions derived from active memberships.

The mapping is data in one place; ``RoleBackend`` answers ``user.has_perm`` from it, so there are
no groups to keep in sync with memberships.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from motcua.accounts.models import Role, StaffMembership

_CRUD = ("add", "change", "delete", "view")
CATALOG_MODELS = ("sector", "procedure", "procedureversion", "procedurevariant", "requireddocument",
                  "feeitem", "workflowstep", "legalbasis")
ORG_MODELS = ("orgunit", "unitcoderecord", "desk")


def _perms(app: str, models: tuple[str, ...], actions: tuple[str, ...]) -> set[str]:
    return {f"{app}.{action}_{model}" for model in models for action in actions}


WORKTIME_MODELS = ("workcalendarconfig", "calendarday")
_VIEW_ALL = (
    _perms("catalog", CATALOG_MODELS, ("view",))
    | _perms("dossiers", ("dossier",), ("view",))  # read-only everywhere: dossiers change through commands
    | _perms("worktime", WORKTIME_MODELS, ("view",))
    | _perms("org", ORG_MODELS + ("adminunit", "adminunitdataset"), ("view",))
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.RECEPTIONIST: frozenset(_VIEW_ALL | _perms("accounts", ("applicant",), ("add", "change", "view"))),
    Role.SPECIALIST: frozenset(_VIEW_ALL | _perms("accounts", ("applicant",), ("view",))),
    Role.LEADER: frozenset(_VIEW_ALL | _perms("accounts", ("applicant", "user", "staffmembership"), ("view",))),
    Role.CLERK: frozenset(_VIEW_ALL),
    Role.UNIT_ADMIN: frozenset(
        _VIEW_ALL
        | _perms("catalog", tuple(m for m in CATALOG_MODELS if m != "sector"), _CRUD)  # sectors are national
        | _perms("org", ("desk",), _CRUD) | _perms("org", ("orgunit",), ("change",))
        | _perms("accounts", ("user", "staffmembership"), _CRUD) | _perms("accounts", ("applicant",), ("view",))
    ),
    Role.SYSTEM_ADMIN: frozenset(
        _perms("notify", ("outboxmessage", "deadletter"), ("view", "change"))  # change = requeue
        | _perms("notify", ("webhooksubscription",), _CRUD)
        | _perms("dossiers", ("dossier",), ("view",))
        | _perms("worktime", WORKTIME_MODELS, _CRUD)
        | _perms("catalog", CATALOG_MODELS, _CRUD)
        | _perms("org", ORG_MODELS, _CRUD) | _perms("org", ("adminunit", "adminunitdataset"), ("view",))
        | _perms("accounts", ("user", "staffmembership", "applicant"), _CRUD)
        | _perms("reports", ("indexconfig", "indicatorweight"), _CRUD)  # the QĐ 766 weights
    ),
    Role.INSPECTOR: frozenset(
        _VIEW_ALL | _perms("accounts", ("applicant", "user", "staffmembership"), ("view",))
    ),
}


def roles_granting(perm: str) -> list[str]:
    """The roles whose permissions include ``perm`` (used to scope a permission to units)."""
    return [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]


# Who may hand out which role: a unit administrator staffs the desk and the workflow; only a system
# administrator (or a superuser) creates administrators.
GRANTABLE_BY: dict[str, frozenset[str]] = {
    Role.UNIT_ADMIN: frozenset({Role.RECEPTIONIST, Role.SPECIALIST, Role.LEADER, Role.CLERK, Role.INSPECTOR}),
    Role.SYSTEM_ADMIN: frozenset(Role.values),
}


class RoleBackend(ModelBackend):
    """ModelBackend whose group permissions come from the roles the user holds."""

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_role_perm_cache"):
            roles = set(
                StaffMembership.objects.filter(user_id=user_obj.pk, is_active=True).values_list("role", flat=True)
            )
            perms: set[str] = set()
            for role in roles:
                perms |= ROLE_PERMISSIONS.get(role, frozenset())
            user_obj._role_perm_cache = perms
        return user_obj._role_perm_cache
