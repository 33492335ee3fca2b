"""The Centre Mark Change Request form. It validates and normalises only.

Labels are bilingual, numbered as on the board's form ("1. Centre Number / Rhif y
Ganolfan"). The requested mark is typed as on the marksheet: a mark per task, or A for
absent, or C / CF for carry forward where the unit allows it; an outcome unit chooses from
its grades. The form turns that into the `requested` value the service expects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from centres.models import CENTRE_NUMBER_MAX
from common.numbers import WholeNumberField
from iamis.models import CANDIDATE_NUMBER_MAX, Mark, Task, Unit
from iamis.services.marks import ABSENT_GRADE, parse_cell

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NAME_MAX = 200
CARRY_FORWARD_CHOICE = "C"
_CENTRE_NUMBER_ERROR = gettext_lazy("Number must be between 0 ~ 79999")
_NOT_A_NUMBER = gettext_lazy("The value must be a number")
_CANDIDATE_RANGE = gettext_lazy("A candidate number is from 1 to 9999.")


def _candidate_number_field(label: StrOrPromise) -> forms.IntegerField:
    return WholeNumberField(
        label=label,
        min_value=1,
        max_value=CANDIDATE_NUMBER_MAX,
        error_messages={
            "required": _NOT_A_NUMBER,
            "invalid": _NOT_A_NUMBER,
            "min_value": _CANDIDATE_RANGE,
            "max_value": _CANDIDATE_RANGE,
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 4}),
    )


class CandidateLookupForm(forms.Form):
    """Step one (a plain GET): which candidate, so the page can show the current mark."""

    candidate = _candidate_number_field(
        gettext_lazy("Candidate Number / Rhif yr Ymgeisydd")
    )


def initial_inputs(unit: Unit, tasks: list[Task], mark: Mark) -> dict[str, str]:
    """The requested-mark inputs filled with the submitted mark, as the marksheet shows it."""
    if unit.is_outcome_unit:
        if mark.status == Mark.Status.ABSENT:
            return {"grade": ABSENT_GRADE}
        if mark.status == Mark.Status.CARRY_FORWARD:
            return {"grade": CARRY_FORWARD_CHOICE}
        return {"grade": mark.grade}
    values: dict[str, str] = {}
    for task in tasks:
        if mark.status != Mark.Status.MARKED:
            values[f"task-{task.number}"] = mark.display_value
        else:
            value = mark.task_marks.get(str(task.number))
            values[f"task-{task.number}"] = "" if value is None else str(value)
    return values


class ChangeRequestForm(forms.Form):
    centre_number = WholeNumberField(
        label=gettext_lazy("1. Centre Number / Rhif y Ganolfan"),
        min_value=0,
        max_value=CENTRE_NUMBER_MAX,
        error_messages={
            "required": _CENTRE_NUMBER_ERROR,
            "invalid": _CENTRE_NUMBER_ERROR,
            "min_value": _CENTRE_NUMBER_ERROR,
            "max_value": _CENTRE_NUMBER_ERROR,
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 5}),
    )
    centre_name = forms.CharField(
        label=gettext_lazy("2. Centre Name / Enw'r Ganolfan"),
        max_length=NAME_MAX,
        error_messages={"required": gettext_lazy("Enter the centre name.")},
    )
    candidate_number = _candidate_number_field(
        gettext_lazy("3. Candidate Number / Rhif yr Ymgeisydd")
    )
    reason = forms.CharField(
        label=gettext_lazy("7. Reason for the change / Rheswm dros y newid"),
        help_text=gettext_lazy(
            "Say what was wrong with the submitted mark, e.g. added up wrongly."
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("Enter the reason for the change.")},
    )

    def __init__(
        self, *args: Any, unit: Unit, tasks: list[Task], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.unit, self.tasks = unit, tasks
        self.value_fields: list[str] = []
        if unit.is_outcome_unit:
            choices = [
                ("", _("Choose an outcome")),
                *[(grade, grade) for grade in unit.grade_scale],
                (ABSENT_GRADE, _("Absent")),
            ]
            if unit.carry_forward_allowed:
                choices.append((CARRY_FORWARD_CHOICE, _("Carry forward")))
            self.fields["grade"] = forms.ChoiceField(
                label=_("Grade"),
                choices=choices,
                error_messages={"required": _("Choose the requested grade.")},
            )
            self.value_fields.append("grade")
        else:
            for task in tasks:
                label = (
                    _("Mark (Max:%(max)s)") % {"max": task.max_mark}
                    if len(tasks) == 1
                    else f"{task.name} (Max:{task.max_mark})"
                )
                name = f"task-{task.number}"
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=4,
                    widget=forms.TextInput(
                        attrs={"inputmode": "numeric", "size": 4, "autocomplete": "off"}
                    ),
                )
                self.value_fields.append(name)
        if unit.initials_required:
            self.fields["initials"] = forms.CharField(
                label=_("Teacher Initials"),
                required=False,
                max_length=8,
                help_text=_("Needed when the submitted mark has none (e.g. absent)."),
            )
        # Errors are summarised in the order the form is read.
        self.order_fields(
            [
                "centre_number",
                "centre_name",
                "candidate_number",
                *self.value_fields,
                "initials",
                "reason",
            ]
        )

    @property
    def value_bound_fields(self) -> list[forms.BoundField]:
        names = [*self.value_fields]
        if "initials" in self.fields:
            names.append("initials")
        return [self[name] for name in names]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        parsed = {}
        for name in self.value_fields:
            if name not in cleaned:
                continue
            raw = cleaned[name]
            if raw == CARRY_FORWARD_CHOICE and name == "grade":
                raw = "c"
            try:
                parsed[name] = parse_cell(
                    unit=self.unit, tasks=self.tasks, field=name, raw=raw
                )
            except ValidationError as error:
                self.add_error(name, error)
        if len(parsed) != len(self.value_fields):
            return cleaned
        codes = {p.action for p in parsed.values()} & {"absent", "carry_forward"}
        marks = [name for name, p in parsed.items() if p.action == "set_task"]
        first = self.value_fields[0]
        if len(codes) > 1 or (codes and marks):
            self.add_error(
                first,
                _(
                    "Enter A for absent (or C for carry forward) on its own, not "
                    "together with marks."
                ),
            )
            return cleaned
        requested: dict[str, Any]
        if "absent" in codes:
            requested = {"status": Mark.Status.ABSENT}
        elif "carry_forward" in codes:
            requested = {"status": Mark.Status.CARRY_FORWARD}
        elif self.unit.is_outcome_unit:
            requested = {"status": Mark.Status.MARKED, "grade": parsed["grade"].value}
        else:
            for name, p in parsed.items():
                if p.action != "set_task":
                    task = next(t for t in self.tasks if f"task-{t.number}" == name)
                    self.add_error(
                        name,
                        _("Enter a mark for %(task)s, from 0 to %(max)d.")
                        % {"task": task.name, "max": task.max_mark},
                    )
            requested = {
                "status": Mark.Status.MARKED,
                "task_marks": {
                    str(p.task): p.value
                    for p in parsed.values()
                    if p.action == "set_task"
                },
            }
        if "initials" in self.fields:
            try:
                initials = parse_cell(
                    unit=self.unit,
                    tasks=self.tasks,
                    field="initials",
                    raw=cleaned.get("initials", ""),
                )
            except ValidationError as error:
                self.add_error("initials", error)
            else:
                if initials.value:
                    requested["initials"] = initials.value
        cleaned["requested"] = requested
        return cleaned
