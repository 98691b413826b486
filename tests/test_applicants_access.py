"""The contract other portal pages build on: current_applicant and @applicant_required."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from motcua.applicants.access import applicant_required, current_applicant
from tests.factories import dossier_world

pytestmark = pytest.mark.django_db


@applicant_required
def _page(request):
    return HttpResponse(request.applicant.full_name)


def _request(user=None, path="/ho-so/cua-toi/?trang=2"):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    return request


def test_visitor_is_sent_to_login_with_next():
    response = _page(_request())
    assert response.status_code == 302
    assert response["Location"] == "/tai-khoan/dang-nhap/?next=%2Fho-so%2Fcua-toi%2F%3Ftrang%3D2"
    assert current_applicant(_request()) is None


def test_applicant_gets_the_page_and_staff_get_403_in_vietnamese():
    world = dossier_world()
    ok = _page(_request(world.citizen))
    assert ok.status_code == 200 and ok.content.decode() == "Nguyễn Thị Hoà"
    assert current_applicant(_request(world.citizen)) == world.applicant
    refused = _page(_request(world.receptionist))
    assert refused.status_code == 403
    assert "không phải tài khoản công dân" in refused.content.decode()
    assert current_applicant(_request(world.receptionist)) is None


def test_inactive_user_has_no_applicant():
    world = dossier_world()
    world.citizen.is_active = False
    world.citizen.save()
    assert current_applicant(_request(world.citizen)) is None
