"""Helpers shared by the browser tests: the Quito forum as data, and axe-core's report."""

import io
import json

from django.core.management import call_command

from forum.models import Forum
from forum.tests.browser.conftest import REPO_ROOT

AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core as ``scripts/setup-browser`` installs it from the npm registry."""

BLOCKING_IMPACTS = {"serious", "critical"}
"""The impacts of an axe violation that fail a test."""


def load_quito() -> Forum:
    """Load the Quito forum from its concept note (``load_quito_forum``); return it."""
    call_command("load_quito_forum", stdout=io.StringIO())
    return Forum.objects.get(slug="quito-2020")


def axe_violations(page, axe_source: str) -> list[dict]:
    """axe-core's violations on ``page`` as it is now (every rule axe runs by default)."""
    page.evaluate(axe_source)
    return page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")["violations"]


def describe(violations: list[dict]) -> str:
    """One line per violation: rule id, impact, help and the selectors of its elements."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(' '.join(n['target']) for n in v['nodes'])}"
        for v in violations
    )


def assert_no_blocking_violations(page, axe_source: str, steps, where: str) -> list[dict]:
    """Run axe on ``page``; fail, naming ``where`` and each serious or critical violation,
    if there is one (the whole report is then kept as ``axe.json`` beside the test's step
    screenshots). Returns every violation found, for further checks."""
    violations = axe_violations(page, axe_source)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        steps.folder.mkdir(parents=True, exist_ok=True)
        (steps.folder / "axe.json").write_text(json.dumps(violations, indent=2), encoding="utf-8")
    assert not blocking, f"axe on {where}:\n{describe(blocking)}"
    return violations
