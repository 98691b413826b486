"""Catalogue (read only, any authenticated user): the procedures in force and their published version."""

from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router

from motcua.api.errors import errors
from motcua.api.queries import procedures_in_force
from motcua.api.schemas import ProcedureDetail, ProcedureFilters, ProcedurePage, text
from motcua.api.serialize import procedure_detail, procedure_summary
from motcua.catalog.services import published_version, search_procedures
from motcua.dossiers.errors import NotFound

router = Router(tags=["Danh mục thủ tục"])


@router.get("/procedures", response={200: ProcedurePage, **errors(422)}, summary="Tìm thủ tục đang có hiệu lực")
def list_procedures(request, filters: Query[ProcedureFilters]):
    """Procedures with a published version in force today; ``q`` matches every word of the name or
    code, ignoring case, diacritics and đ/d."""
    qs = procedures_in_force(timezone.localdate())
    if filters.q and filters.q.strip():
        qs = qs.filter(pk__in=search_procedures(filters.q).values("pk"))
    if filters.sector:
        qs = qs.filter(sector__code=filters.sector.strip())
    if filters.level:
        qs = qs.filter(level=filters.level)
    start = (filters.page - 1) * filters.page_size
    rows = qs.order_by("code")[start:start + filters.page_size]
    return {"items": [procedure_summary(p) for p in rows], "count": qs.count(), "page": filters.page,
            "page_size": filters.page_size}


@router.get("/procedures/{code}", response={200: ProcedureDetail, **errors(404, 422)},
            summary="Chi tiết thủ tục và phiên bản đang có hiệu lực")
def get_procedure(request, code: text(20, 1)):
    """The version in force today: variants with their documents, fees and workflow steps, and the
    legal bases."""
    today = timezone.localdate()
    procedure = procedures_in_force(today).filter(code=code.strip()).first()
    version = published_version(procedure, today) if procedure is not None else None
    if version is None:
        raise NotFound("Không tìm thấy thủ tục đang có hiệu lực với mã này.")
    return procedure_detail(procedure, version)
