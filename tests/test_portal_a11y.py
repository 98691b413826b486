"""The accessibility harness itself: axe runs in the page and catches what it must."""

from __future__ import annotations

import json

import pytest

import a11y

GOOD = """<!doctype html><html lang="vi"><head><title>Trang thử</title></head><body>
<main><h1>Tra cứu</h1><form><label for="ma">Mã hồ sơ</label><input id="ma" name="ma">
<button type="submit">Tra cứu</button></form></main></body></html>"""

BAD = """<!doctype html><html><head><title>x</title></head><body><main>
<input id="ma" name="ma"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<p style="color:#bbb;background:#fff">chữ mờ</p></main></body></html>"""


def test_a_clean_page_passes_and_its_results_are_kept(page):
    page.set_content(GOOD)
    results = a11y.assert_accessible(page, "harness good")
    assert results["violations"] == []
    saved = json.loads((a11y.ARTIFACTS / "axe-harness-good.json").read_text(encoding="utf-8"))
    assert saved["testEngine"]["name"] == "axe-core"


def test_serious_violations_fail_with_rule_and_target(page):
    page.set_content(BAD)
    with pytest.raises(AssertionError) as failure:
        a11y.assert_accessible(page, "harness bad")
    text = str(failure.value)
    for rule in ("label", "image-alt", "color-contrast", "html-has-lang"):
        assert f"- {rule} (" in text
    assert "#ma" in text
