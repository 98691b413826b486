"""The workspace menu: only what the user's roles allow."""

from __future__ import annotations

from motcua.accounts.models import Role, StaffMembership

__all__ = ["roles_of", "menu_for", "WORK_ROLES"]

WORK_ROLES = {Role.RECEPTIONIST, Role.SPECIALIST, Role.LEADER, Role.CLERK}
# (url name, label, roles that see it) — pages are added here as they exist
MENU = [
    ("workspace:inbox", "Hộp việc", WORK_ROLES),
    ("workspace:desk", "Tiếp nhận", {Role.RECEPTIONIST}),
    ("workspace:online_queue", "Hồ sơ trực tuyến", {Role.RECEPTIONIST}),
    ("workspace:returns", "Trả kết quả", {Role.RECEPTIONIST}),
    ("workspace:leader", "Theo dõi, điều hành", {Role.LEADER}),
    ("workspace:dossiers", "Tra cứu hồ sơ", WORK_ROLES | {Role.INSPECTOR}),
    ("feedback:staff", "Phản ánh, kiến nghị", WORK_ROLES | {Role.INSPECTOR}),
    # the roles of reports.access.REPORT_ROLES (not imported from there: that module imports this one)
    ("reports:home", "Báo cáo, thống kê", {Role.LEADER, Role.INSPECTOR}),
    ("admin:index", "Quản trị", {Role.UNIT_ADMIN, Role.SYSTEM_ADMIN, Role.INSPECTOR}),
]


def roles_of(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_workspace_roles"):
        user._workspace_roles = set(StaffMembership.objects.filter(user_id=user.pk, is_active=True)
                                    .values_list("role", flat=True))
    return user._workspace_roles


def menu_for(user) -> list[tuple[str, str]]:
    roles = roles_of(user)
    return [(name, label) for name, label, allowed in MENU if roles & allowed]
