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


def full_procedure(competent_unit: OrgUnit | None, *, days: str = "5", code: str | None = None,
                   supplement_rule: str = "restart", fee: int = 50000, level: str = Level.PROVINCE,
                   name: str = "Cấp giấy phép thử nghiệm", boundary_independent: bool = False) -> ProcedureVariant:
    """A published procedure with the usual five-step workflow: desk → specialist → leader → clerk → desk."""
    p = save_procedure(Procedure(code=code or f"1.{next(_seq):06d}", name=name, sector=sector(), level=level,
                                 competent_unit=competent_unit))
    version = ProcedureVersion.objects.create(
        procedure=p, number=1, status=VersionStatus.PUBLISHED, valid_from=dt.date(2020, 1, 1),
        result_name="Giấy phép", postal_intake=True, postal_return=True, for_organisations=True, online_mode="full",
        boundary_independent=boundary_independent)
    variant = ProcedureVariant.objects.create(version=version, code="TH1", name="Trường hợp chung",
                                              time_limit_value=Decimal(days), time_limit_unit=TimeUnit.WORKING_DAYS,
                                              supplement_rule=supplement_rule)
    RequiredDocument.objects.create(variant=variant, order=1, name="Đơn đề nghị", kind=DocumentKind.ORIGINAL)
    RequiredDocument.objects.create(variant=variant, order=2, name="Bản sao giấy tờ tùy thân", kind=DocumentKind.COPY,
                                    mandatory=False)
    if fee:
        FeeItem.objects.create(variant=variant, order=1, kind=FeeKind.CHARGE, name="Lệ phí cấp phép", amount=fee)
    total = Decimal(days)
    for order, (step_name, role, budget) in enumerate([
        ("Tiếp nhận hồ sơ", Role.RECEPTIONIST, Decimal("0.5")),
        ("Thẩm định hồ sơ", Role.SPECIALIST, total - Decimal("2")),
        ("Phê duyệt", Role.LEADER, Decimal("0.5")),
        ("Ban hành kết quả", Role.CLERK, Decimal("0.5")),
        ("Trả kết quả", Role.RECEPTIONIST, Decimal("0.5")),
    ], start=1):
        WorkflowStep.objects.create(variant=variant, order=order, name=step_name, role=role, budget_value=budget,
                                    budget_unit=TimeUnit.WORKING_DAYS)
    return variant


def dossier_world(supplement_rule: str = "restart", days: str = "5", fee: int = 50000):
    """A province with a one-stop desk, officers for every step in the justice department, an
    outsider in another department, an applicant with an account, and a five-step procedure."""
    from types import SimpleNamespace

    from motcua.accounts.models import ApplicantKind
    from motcua.accounts.services import ApplicantData, register_applicant
    from motcua.org.models import Desk

    tree = province_tree()
    desk = Desk.objects.create(name="Bộ phận Một cửa tỉnh", host_unit=tree["province"])
    desk.serves.set([tree["justice"], tree["construction"]])
    applicant = register_applicant(ApplicantData(ApplicantKind.CITIZEN, "Nguyễn Thị Hoà", cccd="038190012345",
                                                 address="Số 1 Lê Lợi", phone="0912000111", email="hoa@example.vn"))
    citizen = create_staff(f"congdan{next(_seq)}", "Nguyễn Thị Hoà", PASSWORD, [], check_password=False)
    citizen.is_staff = False
    citizen.save(update_fields=["is_staff"])
    applicant.user = citizen
    applicant.save(update_fields=["user"])
    return SimpleNamespace(
        tree=tree, desk=desk, applicant=applicant, citizen=citizen,
        variant=full_procedure(tree["justice"], days=days, supplement_rule=supplement_rule, fee=fee),
        receptionist=staff(tree["province"], Role.RECEPTIONIST),
        specialist=staff(tree["justice"], Role.SPECIALIST),
        specialist2=staff(tree["justice"], Role.SPECIALIST),
        leader=staff(tree["justice"], Role.LEADER),
        clerk=staff(tree["justice"], Role.CLERK),
        outsider=staff(tree["construction"], Role.SPECIALIST),
        outsider_leader=staff(tree["construction"], Role.LEADER),
    )
