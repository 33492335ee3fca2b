"""The static analysis in bin/test catches what it is there to catch.

bin/test runs bandit and semgrep over the project; these tests run the same tools over
planted code, so a rule that stopped matching (a typo in .semgrep/rules.yml, a renamed
model) fails here instead of passing silently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / ".semgrep" / "rules.yml"
BIN = Path(sys.executable).parent

PLANTED_VIEW = """
from django.shortcuts import get_object_or_404
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django import forms
from django.db.models.expressions import RawSQL

from iamis.models import Candidate, Entry


@csrf_exempt
def leaky(request, number):
    rows = Entry.objects.filter(unit__code="3500UA")
    one = get_object_or_404(Candidate, number=number)
    Candidate.objects.raw("SELECT * FROM iamis_candidate")
    rows.extra(where=["1=1"])
    rows.annotate(x=RawSQL("SELECT 1", []))
    Candidate._base_manager.all()
    return mark_safe(request.GET["name"])


class EverythingForm(forms.ModelForm):
    class Meta:
        model = Candidate
        fields = "__all__"
"""

PLANTED_TEMPLATE = (
    "<p>{{ note|safe }}</p>\n{% autoescape off %}{{ x }}{% endautoescape %}\n"
)

ALLOWED_VIEW = """
from django.utils.safestring import mark_safe
from iamis import selectors
from centres.models import Membership
from django import forms


def fine(request):
    unit = selectors.access_unit(membership=request.membership, unit_id=1)
    return mark_safe("<br>")


class PickForm(forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.none())
"""


def _semgrep(target: Path) -> list[dict]:
    env = {
        **os.environ,
        "SEMGREP_ENABLE_VERSION_CHECK": "0",
        "SEMGREP_SEND_METRICS": "off",
    }
    result = subprocess.run(  # noqa: S603 - our own venv's tools, fixed arguments
        [
            str(BIN / "semgrep"),
            "scan",
            "--config",
            str(RULES),
            "--metrics=off",
            "--disable-version-check",
            "--json",
            "--quiet",
            str(target),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=target,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["results"]


def test_every_semgrep_house_rule_flags_its_planted_violation(tmp_path):
    app = tmp_path / "someapp"
    (app / "templates").mkdir(parents=True)
    (app / "views.py").write_text(PLANTED_VIEW)
    (app / "templates" / "page.html").write_text(PLANTED_TEMPLATE)

    found = _semgrep(tmp_path)

    rule_ids = {rule["id"] for rule in yaml.safe_load(RULES.read_text())["rules"]}
    fired = {r["check_id"].rsplit(".", 1)[-1] for r in found}
    assert fired == rule_ids
    unscoped = [
        r for r in found if r["check_id"].endswith("no-unscoped-centre-model-in-views")
    ]
    assert {r["start"]["line"] for r in unscoped} >= {13, 14}
    raw = [r for r in found if r["check_id"].endswith("no-raw-sql-in-the-orm")]
    assert len(raw) == 3
    templates = [r for r in found if r["path"].endswith("page.html")]
    assert len(templates) == 2


def test_semgrep_allows_selectors_literal_mark_safe_and_empty_querysets(tmp_path):
    app = tmp_path / "someapp"
    app.mkdir()
    (app / "views.py").write_text(ALLOWED_VIEW)
    (app / "email").mkdir()
    (app / "email" / "note.txt").write_text(
        "{% autoescape off %}{{ body }}{% endautoescape %}\n"
    )

    assert _semgrep(tmp_path) == []


def test_bandit_fails_the_build_on_a_medium_or_high_finding(tmp_path):
    (tmp_path / "tasks.py").write_text(
        "import subprocess\n\n\ndef run(name):\n"
        "    subprocess.call('convert ' + name, shell=True)\n"
    )
    result = subprocess.run(  # noqa: S603 - our own venv's tools, fixed arguments
        [str(BIN / "bandit"), "-q", "-ll", "-f", "json", "-r", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    tests = {issue["test_id"] for issue in json.loads(result.stdout)["results"]}
    assert "B602" in tests


def test_semgrep_checks_the_modules_of_a_forms_package_too(tmp_path):
    forms_package = tmp_path / "someapp" / "forms"
    forms_package.mkdir(parents=True)
    (forms_package / "__init__.py").write_text("")
    (forms_package / "pick.py").write_text(
        "from centres.models import Membership\n\n\n"
        "def members():\n"
        "    return Membership.objects.all()\n"
    )

    found = _semgrep(tmp_path)

    assert [r["check_id"].rsplit(".", 1)[-1] for r in found] == [
        "no-unscoped-centre-model-in-views"
    ]
