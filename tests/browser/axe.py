"""axe-core in the browser tests: run it on the page as it stands and fail on anything
serious or critical.

axe-core comes from npm (package.json and package-lock.json pin it; `bin/setup --dev`
installs it with `npm ci`). The portal's CSP allows only its own scripts and nonced ones,
so a `<script>` tag added to the page would be refused; the source goes in through
Playwright's `evaluate` instead (the DevTools protocol, which the page's CSP does not
govern). Nothing about the page's own CSP is loosened for the check.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
# WCAG 2.2 A and AA, and the best practices axe ships (landmarks, one h1, and so on).
RUN_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": [
            "wcag2a",
            "wcag2aa",
            "wcag21a",
            "wcag21aa",
            "wcag22aa",
            "best-practice",
        ],
    },
    "resultTypes": ["violations"],
}


@cache
def _axe_source() -> str:
    assert AXE_JS.exists(), f"{AXE_JS} is missing: run bin/setup --dev (npm ci)"
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict]:
    """Every violation axe finds on the page, whatever its impact."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate("options => window.axe.run(document, options)", RUN_OPTIONS)
    return result["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(
                " > ".join(part) if isinstance(part, list) else part
                for part in node["target"]
            )
            lines.append(f"    {target}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


def assert_no_serious_violations(page: Page) -> None:
    serious = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert not serious, f"axe on {page.url}:\n{describe(serious)}"
