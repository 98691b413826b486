"""Staff accounts and applicants."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from motcua.accounts.models import Applicant, Role, User
from motcua.accounts.services import ApplicantData, create_staff, find_applicant, register_applicant
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2():
    user = create_staff("canbo.argon", "Cán bộ", "Mot-mat-khau-dai-2025", [(factories.unit(), Role.CLERK)])
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("Mot-mat-khau-dai-2025") and not user.check_password("sai")


def test_staff_creation_refuses_duplicates_and_weak_passwords():
    create_staff("canbo1", "A", None)
    with pytest.raises(ValidationError, match="đã tồn tại"):
        create_staff("canbo1", "B", None)
    with pytest.raises(ValidationError):
        create_staff("canbo2", "C", "12345678")  # Django's validators: too common, entirely numeric
    assert User.objects.count() == 1


def test_citizen_and_organisation_applicants():
    citizen = register_applicant(ApplicantData("citizen", " Nguyễn Văn  An ", cccd="038 090 001 234"))
    assert citizen.cccd == "038090001234" and citizen.full_name == "Nguyễn Văn  An"
    org = register_applicant(ApplicantData("organisation", "Công ty TNHH A", tax_code="0100109106 001"))
    assert org.tax_code == "0100109106-001"
    assert find_applicant("038090001234") == citizen
    assert find_applicant("0100109106-001") == org
    assert find_applicant("0300588569") is None
    with pytest.raises(ValidationError, match="Đã có người nộp hồ sơ"):
        register_applicant(ApplicantData("citizen", "Người khác", cccd="038090001234"))
    with pytest.raises(ValidationError) as exc:
        register_applicant(ApplicantData("citizen", "", cccd="1"))
    assert set(exc.value.message_dict) == {"full_name", "cccd"}
    assert Applicant.objects.count() == 2


def test_database_refuses_an_applicant_without_identity():
    with pytest.raises(IntegrityError), transaction.atomic():
        Applicant.objects.create(kind="citizen", full_name="A", cccd="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Applicant.objects.create(kind="organisation", full_name="B", tax_code="")
