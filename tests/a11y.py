"""Accessibility check for browser tests: axe-core run inside the page, WCAG 2.0/2.1 A and AA.

    import a11y
    a11y.assert_accessible(page, "portal-home")

axe.min.js comes from the axe-playwright-python wheel (pinned in the test extras), so nothing is
downloaded while the tests run. The script is evaluated through the DevTools protocol, not added as
a <script> tag, so a page's Content-Security-Policy cannot block it. The full results go to
test-artifacts/axe-<label>.json; the test fails on every violation of impact serious or critical,
each listed with its rule, help text and the nodes' selectors.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from axe_playwright_python.base import AXE_FILE_PATH

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

_AXE_SCRIPT: str | None = None


def _axe_script() -> str:
    global _AXE_SCRIPT
    if _AXE_SCRIPT is None:
        _AXE_SCRIPT = AXE_FILE_PATH.read_text(encoding="utf-8")
    return _AXE_SCRIPT


def run_axe(page) -> dict:
    """axe's raw results for the page as it is now (violations, incomplete, passes...)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_script())
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        TAGS)


def blocking_violations(results: dict) -> list[dict]:
    return [v for v in results["violations"] if v.get("impact") in BLOCKING]


def report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(page, label: str) -> dict:
    """Fail if axe finds a serious or critical WCAG 2.0/2.1 A/AA violation; return the results."""
    results = run_axe(page)
    ARTIFACTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-") or "page"
    (ARTIFACTS / f"axe-{safe}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    bad = blocking_violations(results)
    assert not bad, f"axe: {len(bad)} serious/critical violation(s) on {label} ({page.url}):\n{report(bad)}"
    return results
