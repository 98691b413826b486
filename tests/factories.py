"""One place to build test data through the real services."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from motcua.accounts.models import Role
from motcua.accounts.services import create_staff
from motcua.catalog.models import (
    DocumentKind, FeeItem, FeeKind, Level, Procedure, ProcedureVariant, ProcedureVersion, RequiredDocument, Sector,
    TimeUnit, VersionStatus, WorkflowStep,
)
from motcua.catalog.services import save_procedure
from motcua.org.models import OrgUnit, UnitKind
from motcua.org.services import UnitData, create_unit

_seq = itertools.count(1)
PASSWORD = "Mat-khau-thu-nghiem-1"


def unit(name: str | None = None, parent: OrgUnit | None = None, kind: str = UnitKind.DEPARTMENT,
         identifier: str | None = None, **extra) -> OrgUnit:
    n = next(_seq)
    return create_unit(UnitData(name=name or f"Đơn vị {n}", kind=kind, parent=parent,
                                identifier=identifier or f"{n // 100:03d}.{n % 100:02d}.00.H99", **extra))


def province_tree():
    """province → (justice → records division), construction, commune A, commune B."""
    province = unit("UBND tỉnh Mẫu", kind=UnitKind.PROVINCE)
    justice = unit("Sở Tư pháp", province)
    records = unit("Phòng Hộ tịch", justice, kind=UnitKind.DIVISION)
    construction = unit("Sở Xây dựng", province)
    commune_a = unit("UBND xã A", province, kind=UnitKind.COMMUNE)
    commune_b = unit("UBND xã B", province, kind=UnitKind.COMMUNE)
    return dict(province=province, justice=justice, records=records, construction=construction,
                commune_a=commune_a, commune_b=commune_b)


def staff(unit: OrgUnit, role: str = Role.SPECIALIST, username: str | None = None, password: str = PASSWORD):
    return create_staff(username or f"canbo{next(_seq)}", "Cán bộ thử nghiệm", password, [(unit, role)],
                        check_password=False)


def sector(code: str = "HOTICH", name: str = "Hộ tịch") -> Sector:
    return Sector.objects.get_or_create(code=code, defaults={"name": name})[0]


def procedure(code: str | None = None, competent_unit: OrgUnit | None = None, level: str = Level.PROVINCE,
              name: str = "Thủ tục thử nghiệm", published: bool = True, days: str = "3") -> Procedure:
    p = save_procedure(Procedure(code=code or f"1.{next(_seq):06d}", name=name, sector=sector(), level=level,
                                 competent_unit=competent_unit))
    version = ProcedureVersion.objects.create(
        procedure=p, number=1, status=VersionStatus.PUBLISHED if published else VersionStatus.DRAFT,
        valid_from=dt.date(2025, 7, 1), result_name="Quyết định", postal_intake=True)
    variant = ProcedureVariant.objects.create(version=version, code="TH1", name="Trường hợp chung",
                                              time_limit_value=Decimal(days), time_limit_unit=TimeUnit.WORKING_DAYS)
    RequiredDocument.objects.create(variant=variant, order=1, name="Tờ khai", kind=DocumentKind.ORIGINAL)
    FeeItem.objects.create(variant=variant, order=1, kind=FeeKind.CHARGE, name="Lệ phí", amount=0)
    total = Decimal(days)
    WorkflowStep.objects.create(variant=variant, order=1, name="Tiếp nhận", role=Role.RECEPTIONIST,
                                budget_value=Decimal("0.5"), budget_unit=TimeUnit.WORKING_DAYS)
    WorkflowStep.objects.create(variant=variant, order=2, name="Thẩm định", role=Role.SPECIALIST,
                                budget_value=total - Decimal("0.5"), budget_unit=TimeUnit.WORKING_DAYS)
    return p
