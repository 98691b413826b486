"""The demo province: Thanh Hóa after the 1/7/2025 reorganisation, with staff for every role and a
catalogue of real procedures. Loaded by ``motcua load-demo`` (once; a second run changes nothing).

The electronic identifiers below follow the QĐ 20/2020 grammar (TT 10/2016 four-group form, level-1
code H56) but are demo values, not the officially assigned ones; the administrative-unit codes are
the real QĐ 19/2025 codes.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.db import transaction

from motcua.accounts.models import ApplicantKind, Role
from motcua.accounts.services import ApplicantData, create_staff, register_applicant
from motcua.catalog.services import import_catalog
from motcua.org.models import Desk, OrgUnit, UnitKind
from motcua.org.services import UnitData, change_unit_codes, create_unit, import_admin_units, DEFAULT_ADMIN_UNITS_FILES

__all__ = ["DEMO_PASSWORD", "load_demo", "DEMO_ROOT_IDENTIFIER"]

DEMO_PASSWORD = "MotCua@2025"
DEMO_ROOT_IDENTIFIER = "000.00.00.H56"
CATALOG_FILE = Path(__file__).resolve().parent / "catalog" / "fixtures" / "demo_catalog.json"
REFORM_DAY = dt.date(2025, 7, 1)

# (key, name, kind, parent key, identifier, admin-unit code)
UNITS = [
    ("province", "UBND tỉnh Thanh Hóa", UnitKind.PROVINCE, None, DEMO_ROOT_IDENTIFIER, "38"),
    ("office", "Văn phòng UBND tỉnh Thanh Hóa", UnitKind.OFFICE, "province", "000.00.01.H56", "38"),
    ("centre", "Trung tâm Phục vụ hành chính công tỉnh Thanh Hóa", UnitKind.SERVICE_CENTRE, "office", "000.01.01.H56", "38"),
    ("justice", "Sở Tư pháp tỉnh Thanh Hóa", UnitKind.DEPARTMENT, "province", "000.00.12.H56", "38"),
    ("justice_records", "Phòng Hành chính tư pháp – Sở Tư pháp", UnitKind.DIVISION, "justice", "000.01.12.H56", "38"),
    ("construction", "Sở Xây dựng tỉnh Thanh Hóa", UnitKind.DEPARTMENT, "province", "000.00.17.H56", "38"),
    ("agriculture", "Sở Nông nghiệp và Môi trường tỉnh Thanh Hóa", UnitKind.DEPARTMENT, "province", "000.00.10.H56", "38"),
    ("health", "Sở Y tế tỉnh Thanh Hóa", UnitKind.DEPARTMENT, "province", "000.00.18.H56", "38"),
    ("finance", "Sở Tài chính tỉnh Thanh Hóa", UnitKind.DEPARTMENT, "province", "000.00.06.H56", "38"),
    ("home", "Sở Nội vụ tỉnh Thanh Hóa", UnitKind.DEPARTMENT, "province", "000.00.09.H56", "38"),
    ("hacthanh", "UBND phường Hạc Thành", UnitKind.COMMUNE, "province", "000.20.01.H56", "14797"),
    ("hamrong", "UBND phường Hàm Rồng", UnitKind.COMMUNE, "province", "000.20.02.H56", "14758"),
    ("samson", "UBND phường Sầm Sơn", UnitKind.COMMUNE, "province", "000.20.03.H56", "16531"),
    ("thoxuan", "UBND xã Thọ Xuân", UnitKind.COMMUNE, "province", "000.20.04.H56", "15499"),
]
COMMUNES = ["hacthanh", "hamrong", "samson", "thoxuan"]

# Codes the province and a commune bore before the reorganisation, kept as their history.
BEFORE_REFORM = {
    "hacthanh": ("000.01.11.H56", "", "UBND phường Điện Biên, TP Thanh Hóa, trước sắp xếp đơn vị hành chính cấp xã (dữ liệu mẫu)"),
}

# (username, full name, unit key, role)
STAFF = [
    ("quantri", "Lê Văn Quản", "province", Role.SYSTEM_ADMIN),
    ("thanhtra", "Nguyễn Thị Thanh", "province", Role.INSPECTOR),
    ("lanhdao.tinh", "Trịnh Văn Lãnh", "province", Role.LEADER),
    ("tiepnhan.tinh", "Phạm Thị Tiếp", "centre", Role.RECEPTIONIST),
    ("quantri.ttpv", "Đỗ Văn Trung", "centre", Role.UNIT_ADMIN),
    ("chuyenvien.tuphap", "Hoàng Văn Chuyên", "justice_records", Role.SPECIALIST),
    ("lanhdao.tuphap", "Vũ Thị Đạo", "justice", Role.LEADER),
    ("vanthu.tuphap", "Mai Văn Thư", "justice", Role.CLERK),
    ("quantri.tuphap", "Lý Thị Trị", "justice", Role.UNIT_ADMIN),
    ("chuyenvien.xaydung", "Đặng Văn Dựng", "construction", Role.SPECIALIST),
    ("lanhdao.xaydung", "Bùi Thị Xây", "construction", Role.LEADER),
    ("vanthu.xaydung", "Tạ Văn Số", "construction", Role.CLERK),
    ("chuyenvien.nnmt", "Cao Văn Đất", "agriculture", Role.SPECIALIST),
    ("lanhdao.nnmt", "Hà Thị Môi", "agriculture", Role.LEADER),
    ("vanthu.nnmt", "Châu Văn Trường", "agriculture", Role.CLERK),
    ("chuyenvien.taichinh", "Kiều Văn Tài", "finance", Role.SPECIALIST),
    ("lanhdao.taichinh", "Lưu Thị Chính", "finance", Role.LEADER),
    ("vanthu.taichinh", "Phan Thị Ngân", "finance", Role.CLERK),
    ("chuyenvien.yte", "Tô Văn Y", "health", Role.SPECIALIST),
    ("lanhdao.yte", "Quách Thị Tế", "health", Role.LEADER),
    ("vanthu.yte", "Vi Văn Dược", "health", Role.CLERK),
    ("chuyenvien.noivu", "Mạc Văn Nội", "home", Role.SPECIALIST),
    ("lanhdao.noivu", "Ông Thị Vụ", "home", Role.LEADER),
    ("vanthu.noivu", "Lã Thị Vụ", "home", Role.CLERK),
]
COMMUNE_ROLES = [
    ("tiepnhan", Role.RECEPTIONIST, "Nguyễn Văn"),
    ("chuyenvien", Role.SPECIALIST, "Trần Thị"),
    ("lanhdao", Role.LEADER, "Lê Văn"),
    ("vanthu", Role.CLERK, "Phạm Thị"),
    ("quantri", Role.UNIT_ADMIN, "Hoàng Văn"),
]
COMMUNE_GIVEN = {"hacthanh": "Hạc", "hamrong": "Rồng", "samson": "Sơn", "thoxuan": "Xuân"}

APPLICANTS = [
    ApplicantData(ApplicantKind.CITIZEN, "Nguyễn Văn An", cccd="038090001234", date_of_birth=dt.date(1990, 3, 12),
                  address="Số 12 Lê Lợi, phường Hạc Thành, tỉnh Thanh Hóa", phone="0912345678"),
    ApplicantData(ApplicantKind.CITIZEN, "Lê Thị Bình", cccd="038185004321", date_of_birth=dt.date(1985, 11, 2),
                  address="Thôn 3, xã Thọ Xuân, tỉnh Thanh Hóa", phone="0987654321"),
    ApplicantData(ApplicantKind.ORGANISATION, "Công ty TNHH Xây dựng Hàm Rồng", tax_code="2801234564",
                  address="Số 5 Trần Phú, phường Hàm Rồng, tỉnh Thanh Hóa", phone="02373888999"),
]


def logins() -> list[tuple[str, str, str]]:
    """(username, role, unit) of every demo account, for printing."""
    rows = [("admin", "Quản trị hệ thống (superuser)", "UBND tỉnh Thanh Hóa")]
    names = {key: name for key, name, *_ in UNITS}
    rows += [(u, Role(r).label, names[k]) for u, _, k, r in STAFF]
    rows += [(f"{prefix}.{c}", Role(r).label, names[c]) for c in COMMUNES for prefix, r, _ in COMMUNE_ROLES]
    return rows


def load_demo() -> bool:
    """Load everything; returns False when the demo province is already there."""
    for path in DEFAULT_ADMIN_UNITS_FILES:
        import_admin_units(path)
    if OrgUnit.objects.filter(identifier=DEMO_ROOT_IDENTIFIER).exists():
        return False
    with transaction.atomic():
        units: dict[str, OrgUnit] = {}
        for key, name, kind, parent, identifier, code in UNITS:
            earlier = BEFORE_REFORM.get(key)
            units[key] = create_unit(
                UnitData(name=name, kind=kind, identifier=earlier[0] if earlier else identifier,
                         parent=units.get(parent), admin_unit_code=earlier[1] if earlier else code,
                         valid_from=dt.date(2020, 1, 1) if earlier else REFORM_DAY),
                decision=earlier[2] if earlier else "QĐ 19/2025/QĐ-TTg; sắp xếp đơn vị hành chính từ 01/7/2025",
            )
            if earlier:
                units[key] = change_unit_codes(units[key], identifier, code, REFORM_DAY,
                                               "Sắp xếp đơn vị hành chính cấp xã năm 2025; QĐ 19/2025/QĐ-TTg")
        centre_desk = Desk.objects.create(name="Trung tâm Phục vụ hành chính công tỉnh Thanh Hóa", host_unit=units["centre"],
                                          address="Số 28 Đại lộ Lê Lợi, phường Hạc Thành, tỉnh Thanh Hóa")
        centre_desk.serves.set([units[k] for k in ("justice", "construction", "agriculture", "health", "finance", "home")])
        for key in COMMUNES:
            desk = Desk.objects.create(name=f"Trung tâm Phục vụ hành chính công {units[key].name.removeprefix('UBND ')}",
                                       host_unit=units[key])
            desk.serves.set([units[key]])

        create_staff("admin", "Quản trị hệ thống", DEMO_PASSWORD, [(units["province"], Role.SYSTEM_ADMIN)],
                     check_password=False, superuser=True)
        for username, full_name, key, role in STAFF:
            create_staff(username, full_name, DEMO_PASSWORD, [(units[key], role)], check_password=False)
        for key in COMMUNES:
            for prefix, role, family in COMMUNE_ROLES:
                create_staff(f"{prefix}.{key}", f"{family} {COMMUNE_GIVEN[key]}", DEMO_PASSWORD, [(units[key], role)],
                             check_password=False)
        for applicant in APPLICANTS:
            register_applicant(applicant)
        import_catalog(json.loads(CATALOG_FILE.read_text(encoding="utf-8")))
    return True
