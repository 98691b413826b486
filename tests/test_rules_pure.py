"""Pure rules: identifiers, identity numbers, folding, procedure codes, budgets, fee formulas."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from motcua.accounts.identity import IdentityError, normalize_cccd, normalize_tax_code
from motcua.catalog import rules
from motcua.catalog.rules import FeeFormula, RuleError, check_budgets, duration, normalize_procedure_code, working_hours
from motcua.org.identifiers import IdentifierError, normalize_identifier
from motcua.text import fold, nfc


@pytest.mark.parametrize("raw,expected", [
    ("000.00.12.H56", "000.00.12.H56"),       # TT 10/2016 four-group form, level-1 code last
    (" h56.10.01 ", "H56.10.01"),            # QĐ 20/2020 form, level-1 first; normalised to upper case
    ("G01", "G01"),
    ("0100109106", "0100109106"),            # an enterprise by tax code
])
def test_identifier_accepted(raw, expected):
    assert normalize_identifier(raw) == expected


@pytest.mark.parametrize("raw,fragment", [
    ("", "không được để trống"),
    ("000.00.12.H56.000.00.12.H56.00000000", "tối đa 35"),
    ("000..12.H56", "dấu chấm"),
    ("000.00.12.H5_", "dấu chấm"),
    ("000.00.12.345", "mã cấp 1"),
    ("Z01.00.00", "mã cấp 1"),  # Z is not a level-1 group letter (A–Y)
])
def test_identifier_refused(raw, fragment):
    with pytest.raises(IdentifierError, match=fragment):
        normalize_identifier(raw)


def test_cccd():
    assert normalize_cccd("038 090 001 234") == "038090001234"
    with pytest.raises(IdentityError, match="12 chữ số"):
        normalize_cccd("03809000123")
    with pytest.raises(IdentityError, match="12 chữ số"):
        normalize_cccd("03809000123A")
    with pytest.raises(IdentityError, match="“003”"):  # 003 is no province code
        normalize_cccd("003090001234")


def test_tax_code():
    assert normalize_tax_code("0100109106") == "0100109106"      # check digit 6
    assert normalize_tax_code("0300588569") == "0300588569"
    assert normalize_tax_code("0100109106-001") == "0100109106-001"
    assert normalize_tax_code("0100109106001") == "0100109106-001"
    with pytest.raises(IdentityError, match="chữ số kiểm tra"):
        normalize_tax_code("0100109107")
    with pytest.raises(IdentityError, match="10 chữ số"):
        normalize_tax_code("01001091")
    with pytest.raises(IdentityError, match="001 đến 999"):
        normalize_tax_code("0100109106-000")


def test_fold_and_nfc():
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold("CẤP GIẤY PHÉP  XÂY DỰNG") == "cap giay phep xay dung"
    decomposed = "Hòa".replace("ò", "o\u0300")
    assert nfc(decomposed) == "Hòa" and len(nfc(decomposed)) == 3


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@pytest.mark.parametrize("code", ["1.001193", "2.000815", "3.000527", "1.014391.H05", " 2.002723.h13 "])
def test_procedure_code_accepted(code):
    assert normalize_procedure_code(code) == code.strip().upper()


@pytest.mark.parametrize("code", ["4.001193", "1.00119", "1.0011930", "1-001193", "1.001193.H5", "1.001193.56A", ""])
def test_procedure_code_refused(code):
    with pytest.raises(RuleError, match="không đúng định dạng"):
        normalize_procedure_code(code)


def d(value, unit="working_days"):
    return duration(value, unit)


def test_budgets_add_up_across_hours_and_days():
    check_budgets(d("3"), [d("4", "working_hours"), d("2"), d("4", "working_hours")])
    check_budgets(d("8", "working_hours"), [d("0.5"), d("4", "working_hours")])
    check_budgets(d("15", "calendar_days"), [d("1", "calendar_days"), d("14", "calendar_days")])


def test_budgets_that_do_not_add_up_are_refused_with_the_sums():
    with pytest.raises(RuleError) as exc:
        check_budgets(d("3"), [d("0.5"), d("2")])
    assert "20 giờ làm việc" in str(exc.value) and "24 giờ làm việc" in str(exc.value)
    with pytest.raises(RuleError, match="cũng phải tính bằng ngày"):
        check_budgets(d("15", "calendar_days"), [d("15")])
    with pytest.raises(RuleError, match="giờ làm việc hoặc ngày làm việc"):
        check_budgets(d("2"), [d("2", "calendar_days")])
    with pytest.raises(RuleError, match="ít nhất một bước"):
        check_budgets(d("2"), [])


@pytest.mark.parametrize("value,unit", [("0", "working_days"), ("-1", "working_days"), ("abc", "working_days"),
                                        ("1", "fortnights"), ("NaN", "working_days"),
                                        ("0.0625", "working_days"), ("1e9", "working_hours")])
def test_durations_refused(value, unit):
    with pytest.raises(RuleError):
        duration(value, unit)


def test_fee_formula_certified_copy():
    f = FeeFormula("min(2000*min(pages,2) + 1000*max(pages-2,0), 200000) * copies")
    assert f.variables == {"pages", "copies"}
    assert f.evaluate(pages=1, copies=1) == 2000
    assert f.evaluate(pages=3, copies=2) == 10000
    assert f.evaluate(pages=500, copies=1) == 200000
    with pytest.raises(RuleError, match="Thiếu giá trị cho: copies"):
        f.evaluate(pages=1)


@pytest.mark.parametrize("source", ["__import__('os').system('true')", "pages.real", "pages ** 2", "open('x')",
                                    "[1][0]", "min(x=1)", "'a'", "lambda: 1", "Pages + 1"])
def test_fee_formula_refuses_anything_but_arithmetic(source):
    with pytest.raises(RuleError):
        FeeFormula(source)


@pytest.mark.parametrize("source,inputs", [("100 / pages", {"pages": 0}), ("pages * 2", {"pages": "abc"}),
                                           ("pages * 2", {"pages": "Infinity"}), ("1e999 * pages", {"pages": 1})])
def test_fee_formula_bad_arithmetic_is_a_clear_error(source, inputs):
    with pytest.raises(RuleError, match="Không tính được"):
        FeeFormula(source).evaluate(**inputs)


def test_overlap():
    jan, jun, dec = dt.date(2025, 1, 1), dt.date(2025, 6, 30), dt.date(2025, 12, 31)
    assert rules.find_overlap((jan, jun), [(2, dt.date(2025, 7, 1), None)]) is None
    assert rules.find_overlap((jan, None), [(2, dt.date(2025, 7, 1), dec)]) == 2
    assert rules.find_overlap((jun, jun), [(3, jan, jun)]) == 3
    assert Decimal("8") == working_hours(d("1"))
