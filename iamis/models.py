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

from centres.models import Centre
from common.scoping import CentreScopedManager

CANDIDATE_NUMBER_MAX = 9999


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
    moderation_tolerance = models.PositiveSmallIntegerField(
        _("moderation tolerance (marks)"),
        null=True,
        blank=True,
        help_text=_(
            "How far a moderator's mark may differ from the centre's before the "
            "centre's marks are adjusted. Empty means the default: 6 per cent of the maximum "
            "total, at least 1."
        ),
    )
    blind_moderation = models.BooleanField(
        _("blind moderation"),
        default=False,
        help_text=_(
            "The moderator sees a sampled candidate's centre mark only once they have "
            "entered their own."
        ),
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
    # Set by the retention command when the name and date of birth were erased; the
    # number and marks stay (they are the centre's and the board's record).
    personal_data_removed_at = models.DateTimeField(null=True, blank=True)

    objects = CentreScopedManager()

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
        if self.personal_data_removed_at is not None:
            return str(_("(name removed after the retention period)"))
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

    objects = CentreScopedManager()

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


class Marksheet(models.Model):
    """A centre's sheet for one unit. Its row is the lock that submission takes."""

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="marksheets"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="marksheets")
    first_submitted_at = models.DateTimeField(null=True, blank=True)

    objects = CentreScopedManager()

    class Meta:
        verbose_name = _("marksheet")
        verbose_name_plural = _("marksheets")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "unit"], name="marksheet_unique_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre.display_number} {self.unit.code}"


class Submission(models.Model):
    """One press of Submit: the marks it locked, who pressed it and when."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="submissions")
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    mark_count = models.PositiveIntegerField(_("marks submitted"))
    # The first submission of a sheet queues the moderation sample; later ones (late
    # entries) join the sheet without changing the sample.
    is_first = models.BooleanField(default=True)

    objects = CentreScopedManager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [
            models.Index(fields=["centre", "unit"], name="submission_centre_unit")
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} at {self.centre_id}: {self.mark_count}"


class Mark(models.Model):
    """The current mark of one entry: per-task marks, an outcome, Absent or Carry forward."""

    class Status(models.TextChoices):
        MARKED = "marked", _("Marked")
        ABSENT = "absent", _("Absent")
        CARRY_FORWARD = "carry_forward", _("Carry forward")

    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="mark")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status, default=Status.MARKED)
    # {"<task number>": mark}; the total is kept beside it for sorting and reports.
    task_marks = models.JSONField(default=dict, blank=True)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    grade = models.CharField(max_length=40, blank=True)
    initials = models.CharField(_("teacher initials"), max_length=4, blank=True)
    # Every value needed is present (initials too, where the unit asks for them).
    is_complete = models.BooleanField(default=False)
    # Optimistic concurrency: a save names the version it saw.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    submission = models.ForeignKey(
        Submission,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="marks",
    )
    # Copied from the submission in the same transaction, so database rules can read it.
    is_locked = models.BooleanField(default=False)

    objects = CentreScopedManager()

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        indexes = [
            models.Index(
                fields=["centre", "unit", "is_complete"], name="mark_sheet_progress"
            ),
            models.Index(fields=["centre", "unit", "total"], name="mark_sheet_total"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="marked") | Q(grade="") | Q(total__isnull=True),
                name="mark_total_or_grade",
            ),
            models.CheckConstraint(
                condition=Q(is_locked=False) | Q(submission__isnull=False),
                name="mark_locked_by_submission",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry}: {self.display_value}"

    @property
    def display_value(self) -> str:
        if self.status == self.Status.ABSENT:
            return "A"
        if self.status == self.Status.CARRY_FORWARD:
            return "CF"
        if self.grade:
            return self.grade
        return "" if self.total is None else str(self.total)


class MarkChange(models.Model):
    """History: every change to a mark, with who, when, the old and the new value."""

    class Source(models.TextChoices):
        ENTRY = "entry", _("Entered on the marksheet")
        PASTE = "paste", _("Pasted from a spreadsheet")
        CHANGE_REQUEST = "change_request", _("Approved mark change request")
        CLERICAL_CORRECTION = "clerical_correction", _("Clerical correction")
        MODERATION = "moderation", _("Moderation outcome approved by the board")

    mark = models.ForeignKey(Mark, on_delete=models.PROTECT, related_name="changes")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    source = models.CharField(max_length=20, choices=Source, default=Source.ENTRY)
    old = models.JSONField(default=dict)
    new = models.JSONField(default=dict)

    objects = CentreScopedManager()

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("mark change")
        verbose_name_plural = _("mark changes")

    def __str__(self) -> str:
        return f"{self.mark_id} {self.old} -> {self.new}"


class MarkChangeRequest(models.Model):
    """After submission a centre asks the board to change a mark ("Centre Mark Change
    Request / Cais am Newid Marciau Canolfan"); board staff approve or reject."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the board")
        APPROVED = "approved", _("Approved: the mark has been changed")
        REJECTED = "rejected", _("Rejected")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="mark_change_requests"
    )
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="+")
    # As typed on the form, kept for the record.
    centre_number = models.PositiveIntegerField(_("centre number"))
    centre_name = models.CharField(_("centre name"), max_length=200)
    current = models.JSONField(_("current mark"), default=dict)
    requested = models.JSONField(_("requested mark"), default=dict)
    reason = models.TextField(_("reason for the change"))
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    board_note = models.TextField(_("note from the board"), blank=True)

    objects = CentreScopedManager()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("mark change request")
        verbose_name_plural = _("mark change requests")
        indexes = [
            models.Index(fields=["status", "-requested_at"], name="mark_change_queue"),
            models.Index(fields=["centre", "-requested_at"], name="mark_change_centre"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status="pending"),
                name="one_pending_change_per_entry",
            ),
        ]

    def __str__(self) -> str:
        # What board staff read as the page title: whose mark, which unit, where it is.
        return _(
            "Centre %(centre)05d, candidate %(candidate)s, unit %(unit)s: %(status)s"
        ) % {
            "centre": self.centre_number,
            "candidate": self.entry.candidate.display_number,
            "unit": self.entry.unit.code,
            "status": self.get_status_display(),
        }
