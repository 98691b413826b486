"""The public catalogue: folded search, ranking, filters, paging in one query, the procedure page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

import factories
from motcua.catalog.models import (
    DocumentKind, FeeItem, FeeKind, LegalBasis, Level, ProcedureVariant, ProcedureVersion, RequiredDocument, Sector,
    TimeUnit, VersionStatus,
)
from motcua.catalog.search import CatalogueQuery, normalise_query, search_catalogue
from motcua.org.models import Desk
from motcua.portal.fees import formula_in_words

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 2)


def make(name, *, code=None, unit=None, level=Level.PROVINCE, sector=("XAYDUNG", "Xây dựng"), online="none",
         published=True, valid_to=None):
    p = factories.procedure(code=code, competent_unit=unit, level=level, name=name, published=published)
    p.sector = Sector.objects.get_or_create(code=sector[0], defaults={"name": sector[1]})[0]
    p.save(update_fields=["sector"])
    ProcedureVersion.objects.filter(procedure=p).update(online_mode=online, valid_to=valid_to)
    return p


@pytest.fixture
def catalogue():
    tree = factories.province_tree()
    desk = Desk.objects.create(name="Trung tâm Phục vụ hành chính công tỉnh", host_unit=tree["province"],
                               address="Số 2 Đại lộ Lê Lợi")
    desk.serves.set([tree["construction"]])
    commune_desk = Desk.objects.create(name="Bộ phận Một cửa xã A", host_unit=tree["commune_a"])
    commune_desk.serves.set([tree["commune_a"]])
    c = tree["construction"]
    made = dict(
        scattered=make("Điều chỉnh giấy phép hoạt động xây dựng cấp III", unit=c, online="partial"),
        inside=make("Gia hạn, cấp giấy phép xây dựng", unit=c, online="partial"),
        long=make("Cấp giấy phép xây dựng nhà ở riêng lẻ", level=Level.COMMUNE, online="full"),
        exact=make("Cấp giấy phép xây dựng", unit=c, online="full"),
        draft=make("Cấp giấy phép xây dựng tạm", unit=c, published=False),
        expired=make("Cấp giấy phép xây dựng cũ", unit=c, valid_to=dt.date(2025, 12, 31)),
        birth=make("Đăng ký khai sinh", level=Level.COMMUNE, sector=("HOTICH", "Hộ tịch"), online="full"),
        marriage=make("Đăng ký kết hôn", unit=tree["justice"], sector=("HOTICH", "Hộ tịch"), online="partial"),
    )
    return dict(tree=tree, desk=desk, **made)


def codes(page):
    return [p.code for p in page.procedures]


def search(text="", **kw):
    return search_catalogue(CatalogueQuery(text=text, **kw), TODAY)


def test_folding_finds_accented_names_from_plain_text(catalogue):
    for query in ("cap giay phep xay dung", "CẤP GIẤY PHÉP XÂY DỰNG", "Cap Giay  Phep, xay-dung", "dang ky khai sinh"):
        assert search(query).total >= 1, query
    assert codes(search("dang ky khai sinh")) == [catalogue["birth"].code]
    assert normalise_query("  Đăng ký: KHAI-SINH! ") == "dang ky khai sinh"


def test_ranking_code_then_name_prefix_then_phrase_then_scattered(catalogue):
    found = codes(search("cap giay phep xay dung"))
    # name-prefix (shorter name first), then the phrase inside a name, then the words scattered
    assert found == [catalogue[k].code for k in ("exact", "long", "inside", "scattered")]
    by_code = search(catalogue["scattered"].code)
    assert codes(by_code)[0] == catalogue["scattered"].code


def test_only_procedures_in_force_are_listed(catalogue):
    everything = codes(search(""))
    assert catalogue["draft"].code not in everything and catalogue["expired"].code not in everything
    assert search("giay phep xay dung tam").total == 0


def test_filters_sector_level_online_mode_and_unit(catalogue):
    assert set(codes(search(sector="HOTICH"))) == {catalogue["birth"].code, catalogue["marriage"].code}
    assert set(codes(search(level=Level.COMMUNE))) == {catalogue["birth"].code, catalogue["long"].code}
    assert set(codes(search("xay dung", online="full"))) == {catalogue["exact"].code, catalogue["long"].code}
    assert codes(search(online="none")) == []
    tree = catalogue["tree"]
    construction = {catalogue[k].code for k in ("exact", "inside", "scattered")}
    assert set(codes(search(unit=tree["construction"]))) == construction  # competent unit
    # the province's service centre receives for the construction department
    assert set(codes(search(unit=tree["province"]))) >= construction
    # a commune receives the commune-level procedures
    assert set(codes(search(unit=tree["commune_a"]))) == {catalogue["birth"].code, catalogue["long"].code}
    assert set(codes(search(unit=tree["justice"]))) == {catalogue["marriage"].code}
    with pytest.raises(ValueError):
        CatalogueQuery(level="galaxy")


def test_a_page_is_one_query_whatever_its_size(catalogue, django_assert_num_queries):
    for i in range(25):
        make(f"Thủ tục xây dựng số {i}", unit=catalogue["tree"]["construction"])
    with django_assert_num_queries(1):
        first = search("xay dung")
        assert [p.sector.name for p in first.procedures] and [p.online_mode for p in first.procedures]
    assert (first.total, len(first.procedures), first.pages, first.has_next) == (29, 20, 2, True)
    with django_assert_num_queries(1):
        second = search("xay dung", page=2)
    assert len(second.procedures) == 9 and not second.has_next and second.first == 21
    assert not set(codes(first)) & set(codes(second))
    assert search("xay dung", page=99).procedures == []


def test_catalogue_view_searches_filters_and_pages(client, catalogue):
    response = client.get("/thu-tuc/", {"q": "cap giay phep xay dung", "tructuyen": "full"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tìm thấy 2 thủ tục" in html
    assert html.index("Cấp giấy phép xây dựng</a>") < html.index("Cấp giấy phép xây dựng nhà ở riêng lẻ</a>")
    assert f'href="/thu-tuc/{catalogue["exact"].code}/"' in html
    # nonsense filters are ignored, not an error
    assert client.get("/thu-tuc/", {"cap": "x", "tructuyen": "y", "donvi": "z", "trang": "-3"}).status_code == 200
    empty = client.get("/thu-tuc/", {"q": "khong co thu tuc nay"}).content.decode()
    assert "Không tìm thấy thủ tục phù hợp" in empty


def test_home_lists_sectors_and_searches(client, catalogue):
    html = client.get("/").content.decode()
    assert "Hệ thống thông tin giải quyết thủ tục hành chính" in html and "UBND tỉnh Mẫu" in html
    assert "?linhvuc=HOTICH" in html and "Kết quả tìm kiếm" not in html
    assert re.search(r"Hộ tịch</a> <span class=\"count\">\(2 thủ tục\)", html)
    found = client.get("/", {"q": "dang ky khai sinh"}).content.decode()
    assert catalogue["birth"].code in found and catalogue["marriage"].code not in found


def test_home_pages_link_to_the_next_page_keeping_the_filters(client, catalogue):
    for i in range(21):
        make(f"Thủ tục xây dựng số {i}", unit=catalogue["tree"]["construction"])
    html = client.get("/thu-tuc/", {"q": "xay dung", "linhvuc": "XAYDUNG"}).content.decode()
    link = re.search(r'href="(\?[^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "linhvuc=XAYDUNG" in link and "trang=2" in link
    assert "trang 2/2" in client.get("/thu-tuc/" + link).content.decode()


# --- the procedure page ------------------------------------------------------------------------

@pytest.fixture
def rich(settings, tmp_path):
    tree = factories.province_tree()
    desk = Desk.objects.create(name="Trung tâm Phục vụ hành chính công tỉnh", host_unit=tree["province"],
                               address="Số 2 Đại lộ Lê Lợi")
    desk.serves.set([tree["justice"]])
    variant = factories.full_procedure(tree["justice"], code="2.000815", name="Chứng thực bản sao từ bản chính",
                                       fee=20000)
    version = variant.version
    version.publication_decision = "Quyết định số 1234/QĐ-UBND ngày 01/7/2025"
    version.for_citizens = True
    version.save()
    ProcedureVariant.objects.filter(pk=variant.pk).update(online_time_limit_value=Decimal(3),
                                                          online_time_limit_unit=TimeUnit.WORKING_DAYS)
    template = RequiredDocument.objects.get(variant=variant, order=1)
    template.template.save("don-de-nghi.docx", ContentFile("Mẫu đơn đề nghị".encode()), save=True)
    FeeItem.objects.create(variant=variant, order=2, kind=FeeKind.FEE, name="Phí chứng thực",
                           formula="min(2000*min(pages,2) + 1000*max(pages-2,0), 200000) * copies",
                           description="2.000 đồng/trang; từ trang thứ ba 1.000 đồng/trang")
    LegalBasis.objects.create(version=version, order=1, number="23/2015/NĐ-CP", title="Nghị định về chứng thực",
                              issued_on=dt.date(2015, 2, 16))
    second = ProcedureVariant.objects.create(version=version, code="TH2", order=2, name="Chứng thực nhiều bản",
                                             time_limit_value=Decimal(2), time_limit_unit=TimeUnit.WORKING_DAYS)
    RequiredDocument.objects.create(variant=second, order=1, name="Bản chính giấy tờ", kind=DocumentKind.ORIGINAL,
                                    count=2)
    return dict(tree=tree, variant=variant, second=second, version=version, template=template)


def test_procedure_page_publishes_what_the_law_requires(client, rich, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client.get("/thu-tuc/2.000815/")
    assert response.status_code == 200
    html = response.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    for expected in (
        "Chứng thực bản sao từ bản chính", "Hộ tịch", "Cấp tỉnh", "Sở Tư pháp",           # what, where
        "Trung tâm Phục vụ hành chính công tỉnh – Số 2 Đại lộ Lê Lợi",                      # receiving desk
        "Công dân, Tổ chức, doanh nghiệp", "Giấy phép (bản giấy)",                          # who, result
        "Trực tuyến: có", "Dịch vụ công trực tuyến toàn trình", "Bưu chính công ích: có",   # channels
        "Có thể nộp hồ sơ và nhận kết quả qua dịch vụ bưu chính công ích",
        "5 ngày làm việc kể từ khi nhận đủ hồ sơ hợp lệ; 3 ngày làm việc khi nộp trực tuyến",  # time limits
        "Thẩm định hồ sơ — Sở Tư pháp (3 ngày làm việc)", "Tiếp nhận hồ sơ — Bộ phận Một cửa (0.5 ngày làm việc)",
        "Đơn đề nghị", "Bản chính", "Bản sao giấy tờ tùy thân (nếu có)", "Bản sao / bản chụp",  # documents
        "Lệ phí: Lệ phí cấp phép — 20.000 đồng",                                              # fixed fee
        "Phí: Phí chứng thực — Theo công thức: số nhỏ nhất trong (2.000 × số nhỏ nhất trong (số trang; 2)",
        "2.000 đồng/trang; từ trang thứ ba 1.000 đồng/trang",
        "23/2015/NĐ-CP – Nghị định về chứng thực (ban hành ngày 16/02/2015)",                # legal basis
        "Quyết định số 1234/QĐ-UBND ngày 01/7/2025",
        "Trường hợp: Chứng thực nhiều bản", "2 ngày làm việc",                               # second variant
    ):
        assert expected in text, expected
    link = f'/thu-tuc/2.000815/mau/{rich["template"].pk}/'
    assert link in html
    download = client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content) == "Mẫu đơn đề nghị".encode()
    assert "attachment" in download["Content-Disposition"]


def test_online_button_points_to_each_variant_when_online_is_open(client, rich):
    from django.urls import NoReverseMatch, reverse

    try:
        urls = [reverse("submission:start", kwargs={"variant": v.pk}) for v in (rich["variant"], rich["second"])]
    except NoReverseMatch:
        urls = []
    html = client.get("/thu-tuc/2.000815/").content.decode()
    for url in urls:
        assert f'href="{url}">Nộp hồ sơ trực tuyến' in html
    ProcedureVersion.objects.filter(pk=rich["version"].pk).update(online_mode="none", postal_intake=False,
                                                                  postal_return=False)
    html = client.get("/thu-tuc/2.000815/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Nộp hồ sơ trực tuyến" not in html
    assert "Trực tuyến: không" in text and "Bưu chính công ích: không" in text


def test_unpublished_or_unknown_procedures_and_templates_are_404(client, rich):
    ProcedureVersion.objects.filter(pk=rich["version"].pk).update(status=VersionStatus.DRAFT)
    assert client.get("/thu-tuc/2.000815/").status_code == 404
    assert client.get(f'/thu-tuc/2.000815/mau/{rich["template"].pk}/').status_code == 404
    assert client.get("/thu-tuc/9.999999/").status_code == 404
    ProcedureVersion.objects.filter(pk=rich["version"].pk).update(status=VersionStatus.PUBLISHED)
    other = factories.procedure(code="1.000001", competent_unit=rich["tree"]["justice"])
    assert client.get(f'/thu-tuc/{other.code}/mau/{rich["template"].pk}/').status_code == 404  # not its document
    no_template = RequiredDocument.objects.get(variant=rich["variant"], order=2)
    assert client.get(f"/thu-tuc/2.000815/mau/{no_template.pk}/").status_code == 404


def test_commune_level_procedure_is_received_at_every_commune_desk(client):
    tree = factories.province_tree()
    for commune in ("commune_a", "commune_b"):
        Desk.objects.create(name=f"Bộ phận Một cửa {tree[commune].name}", host_unit=tree[commune]).serves.set(
            [tree[commune]])
    make("Đăng ký khai sinh", code="1.001193", level=Level.COMMUNE, sector=("HOTICH", "Hộ tịch"))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/thu-tuc/1.001193/").content.decode()))
    assert "Ủy ban nhân dân cấp xã" in text
    assert "Bộ phận Một cửa UBND xã A" in text and "Bộ phận Một cửa UBND xã B" in text


def test_fee_formula_in_words():
    assert formula_in_words("8000 * copies") == "8.000 × số bản sao (đồng)"
    assert formula_in_words("(a + b) * 2") == "(a + b) × 2 (đồng)"
    assert formula_in_words("max(pages - 2, 0) * 1000") == "số lớn nhất trong (số trang − 2; 0) × 1.000 (đồng)"
    assert formula_in_words("not a formula(") == "not a formula("
