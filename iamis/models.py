"""The domain core: centres, qualifications, series, units and their tasks, candidates, entries.

Board staff own series, units and tasks; everything below a centre (candidates, entries, and
later marks, samples and files) carries its centre so that one filter scopes it.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

CENTRE_NUMBER_MAX = 79999
CANDIDATE_NUMBER_MAX = 9999


class Centre(models.Model):
    """A school or college: the tenant. Numbers are 5 digits, 0-79999."""

    number = models.PositiveIntegerField(
        _("centre number"),
        unique=True,
        validators=[MaxValueValidator(CENTRE_NUMBER_MAX)],
    )
    name = models.CharField(_("centre name"), max_length=200)
    exams_officer_name = models.CharField(
        _("exams officer name"), max_length=200, blank=True
    )
    exams_officer_email = models.EmailField(_("exams officer e-mail"), blank=True)
    head_of_centre = models.CharField(
        _("head of centre name"), max_length=200, blank=True
    )
    # Shown read-only to centres: the guides say it is updated through the NCN.
    telephone = models.CharField(_("telephone number"), max_length=40, blank=True)
    post_results_email = models.EmailField(
        _("post-results e-mail address"),
        blank=True,
        help_text=_("For e-mail alerts about review of marking and clerical errors."),
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=0) & Q(number__lte=CENTRE_NUMBER_MAX),
                name="centre_number_in_range",
                violation_error_message=_("A centre number is between 0 and 79999."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.name}"

    @property
    def display_number(self) -> str:
        return f"{self.number:05d}"


class Qualification(models.Model):
    """GCSE, GCE, Entry Pathways, Welsh Baccalaureate, Vocational Level 1/2, Level 3, ..."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return self.name


class Series(models.Model):
    """One sitting of a qualification, e.g. "GCSE JUNE 2026"."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="series"
    )
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    results_day = models.DateField(
        _("results day"),
        help_text=_("Moderator reports become visible to centres from this day."),
    )

    class Meta:
        ordering = ["-year", "-month", "name"]
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A component in a series (code such as 3700U1) for which centres enter marks."""

    class Assessment(models.TextChoices):
        MARKS = "marks", _("Marks")
        OUTCOMES = "outcomes", _("Outcomes")

    class Evidence(models.TextChoices):
        POSTAL = "postal", _("Samples sent to the moderator")
        E_SUBMISSION = "e_submission", _("E-submission (upload), print allowed")
        UPLOAD_ONLY = "upload_only", _("Electronic upload only")

    class DeletionPolicy(models.TextChoices):
        DAYS_AFTER_SUBMISSION = (
            "days_after_submission",
            _("A number of days after marks are submitted"),
        )
        SERIES_DEADLINE = "sample_deadline", _("The unit's sample deadline")

    DEFAULT_GRADE_SCALE = ["Distinction", "Merit", "Pass"]

    # Units appear in URLs by this id: codes repeat across series and may contain "/".
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(_("unit code"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    assessment = models.CharField(
        _("assessed by"),
        max_length=10,
        choices=Assessment,
        default=Assessment.MARKS,
    )
    grade_scale = models.JSONField(
        _("grade scale"),
        default=list,
        blank=True,
        help_text=_(
            "Outcome units: grades from highest to lowest, e.g. Distinction, Merit, Pass."
        ),
    )
    initials_required = models.BooleanField(
        _("teacher initials required"), default=False
    )
    carry_forward_allowed = models.BooleanField(
        _("carry forward allowed"), default=False
    )
    evidence = models.CharField(
        _("how work reaches the moderator"),
        max_length=20,
        choices=Evidence,
        default=Evidence.POSTAL,
    )
    group_upload = models.BooleanField(
        _("group upload"),
        default=False,
        help_text=_("Files are attached to the unit rather than to one candidate."),
    )
    sample_deadline = models.DateField(
        _("deadline for submission of samples"), null=True, blank=True
    )
    deletion_policy = models.CharField(
        _("uploads can be deleted until"),
        max_length=30,
        choices=DeletionPolicy,
        default=DeletionPolicy.DAYS_AFTER_SUBMISSION,
    )
    deletion_days = models.PositiveSmallIntegerField(
        _("days after submission"), default=14
    )
    sample_size_table = models.JSONField(
        _("sample size table"),
        null=True,
        blank=True,
        help_text=_(
            'Pairs of [largest cohort, sample size]; size "ALL" takes everyone. '
            "Empty means the default table."
        ),
    )
    low_anchor_excludes_zero = models.BooleanField(
        _("lowest anchor excludes zero marks"), default=True
    )

    class Meta:
        ordering = ["series", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(
                fields=["series", "code"], name="unit_code_unique_in_series"
            ),
            models.CheckConstraint(
                condition=Q(assessment="marks") | ~Q(grade_scale=[]),
                name="outcome_unit_has_grades",
                violation_error_message=_("An outcome unit needs a grade scale."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series.name} {self.title} ({self.code})"

    @property
    def is_outcome_unit(self) -> bool:
        return self.assessment == self.Assessment.OUTCOMES

    @property
    def has_uploads(self) -> bool:
        return self.evidence != self.Evidence.POSTAL

    @property
    def can_print(self) -> bool:
        # The guide: "If a subject is electronic upload only then this button will be
        # inactive and greyed out."
        return self.evidence != self.Evidence.UPLOAD_ONLY

    def deadline_passed(self, today: date) -> bool:
        return self.sample_deadline is not None and today > self.sample_deadline


class Task(models.Model):
    """A marked part of a unit; a single-mark unit has one task."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="tasks")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=80)
    max_mark = models.PositiveSmallIntegerField(
        _("maximum mark"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["unit", "number"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "number"], name="task_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(max_mark__gte=1), name="task_max_mark_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (Max:{self.max_mark})"


class Candidate(models.Model):
    """A learner at one centre, known by a 4-digit candidate number."""

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="candidates"
    )
    number = models.PositiveSmallIntegerField(
        _("candidate number"),
        validators=[MinValueValidator(1), MaxValueValidator(CANDIDATE_NUMBER_MAX)],
    )
    surname = models.CharField(_("surname"), max_length=100)
    forename = models.CharField(_("forename"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)

    class Meta:
        ordering = ["centre", "number"]
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "number"], name="candidate_number_unique_in_centre"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=CANDIDATE_NUMBER_MAX),
                name="candidate_number_in_range",
            ),
        ]
        indexes = [
            models.Index("centre", Lower("surname"), name="candidate_centre_surname"),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.display_name}"

    @property
    def display_number(self) -> str:
        return f"{self.number:04d}"

    @property
    def display_name(self) -> str:
        # The guides show names as "SURNAME: FORENAME".
        return f"{self.surname.upper()}: {self.forename.upper()}"


class Entry(models.Model):
    """A candidate entered for a unit; only entries the board has processed exist here."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="entries")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="entries"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="entries")
    processed_at = models.DateTimeField(_("processed by the board"), auto_now_add=True)

    class Meta:
        ordering = ["unit", "candidate__number"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "unit"], name="entry_unique_per_unit"
            ),
        ]
        indexes = [models.Index(fields=["centre", "unit"], name="entry_centre_unit")]

    def __str__(self) -> str:
        return f"{self.candidate} / {self.unit.code}"
