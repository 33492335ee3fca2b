"""Moderation: clerical corrections and moderator reports.

Moderators reach a centre's unit only through `centres.ModeratorAllocation`. A clerical
correction never overwrites the centre's mark: it is a new row beside it, the newest in
force, and reports use it in place of the centre's value (the guides' "amended mark in red
... will be processed to override the original mark").
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.scoping import CentreScopedManager


class ClericalCorrection(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("iamis.Unit", on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(
        "iamis.Entry", on_delete=models.PROTECT, related_name="clerical_corrections"
    )
    mark = models.ForeignKey("iamis.Mark", on_delete=models.PROTECT, related_name="+")
    # {"<task number>": amended mark} for the tasks the moderator corrected.
    task_marks = models.JSONField(_("amended task marks"), default=dict, blank=True)
    total = models.PositiveSmallIntegerField(_("amended total"), null=True, blank=True)
    grade = models.CharField(_("amended outcome"), max_length=40, blank=True)
    # The centre's mark as it stood, for the history and the report footnote.
    original = models.JSONField(_("centre's mark"), default=dict)
    note = models.TextField(_("note"), blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(_("made"), auto_now_add=True)
    # A later correction of the same entry replaces this one; both stay on record.
    is_current = models.BooleanField(default=True)

    objects = CentreScopedManager()

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = _("clerical correction")
        verbose_name_plural = _("clerical corrections")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(is_current=True),
                name="one_current_correction_per_entry",
            ),
            models.CheckConstraint(
                condition=Q(total__isnull=False) | ~Q(grade=""),
                name="correction_has_a_value",
            ),
        ]
        indexes = [
            models.Index(
                fields=["centre", "unit"],
                condition=Q(is_current=True),
                name="correction_current_sheet",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.display_value}"

    @property
    def display_value(self) -> str:
        return self.grade or ("" if self.total is None else str(self.total))

    def task_value(self, number: int) -> str:
        value = self.task_marks.get(str(number))
        return "" if value is None else str(value)


class ModeratorReport(models.Model):
    """The moderator's report on one centre's unit: structured sections and free text.
    Centres see it once it is published and the series' results day has come."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("The centre's marks were accepted")
        ADJUSTED = "adjusted", _("The centre's marks were adjusted")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("iamis.Unit", on_delete=models.PROTECT, related_name="+")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("outcome of moderation"), max_length=10, choices=Outcome, blank=True
    )
    administration = models.TextField(
        _("administration (deadlines, marksheets, documentation)"), blank=True
    )
    assessment = models.TextField(
        _("application of the assessment criteria"), blank=True
    )
    annotation = models.TextField(_("annotation of candidates' work"), blank=True)
    recommendations = models.TextField(_("recommendations to the centre"), blank=True)
    comments = models.TextField(_("further comments"), blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    SECTIONS = (
        "administration",
        "assessment",
        "annotation",
        "recommendations",
        "comments",
    )

    objects = CentreScopedManager()

    class Meta:
        verbose_name = _("moderator report")
        verbose_name_plural = _("moderator reports")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "unit"], name="one_report_per_centre_unit"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(published_at__isnull=False)),
                name="published_report_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.unit_id} at {self.centre_id}: {self.status}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def sections(self) -> list[tuple[str, str]]:
        return [
            (str(self._meta.get_field(name).verbose_name), getattr(self, name))  # type: ignore[union-attr]
            for name in self.SECTIONS
        ]


class ModeratorMark(models.Model):
    """The moderator's own mark for one moderated sample member: per task where the unit
    has tasks, or a grade on an outcome unit. It is evidence about the centre's standard,
    never a mark for the candidate (MODERATION.md); the outcome rule turns the set of them
    into final marks."""

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("iamis.Unit", on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(
        "iamis.Entry", on_delete=models.PROTECT, related_name="moderator_mark"
    )
    # {"<task number>": mark} as entered; the total once every task has one.
    task_marks = models.JSONField(default=dict, blank=True)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    grade = models.CharField(max_length=40, blank=True)
    # Each save must name the version it was typed against (two tabs never overwrite
    # each other silently), as on the centre's marksheet.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = CentreScopedManager()

    # In SQL what `is_complete` says in Python: a total (every task marked) or a grade.
    COMPLETE = Q(total__isnull=False) | ~Q(grade="")

    class Meta:
        verbose_name = _("moderator mark")
        verbose_name_plural = _("moderator marks")
        indexes = [
            models.Index(fields=["centre", "unit"], name="moderator_mark_sheet"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.display_value}"

    @property
    def is_complete(self) -> bool:
        return self.total is not None or bool(self.grade)

    @property
    def display_value(self) -> str:
        return self.grade or ("" if self.total is None else str(self.total))

    def task_value(self, number: int) -> str:
        value = self.task_marks.get(str(number))
        return "" if value is None else str(value)


class ModeratorMarkChange(models.Model):
    """History: every change to a moderator mark, who made it and when."""

    moderator_mark = models.ForeignKey(
        ModeratorMark, on_delete=models.PROTECT, related_name="changes"
    )
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    old = models.JSONField(default=dict)
    new = models.JSONField(default=dict)

    objects = CentreScopedManager()

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("moderator mark change")
        verbose_name_plural = _("moderator mark changes")

    def __str__(self) -> str:
        return f"{self.moderator_mark_id} {self.old} -> {self.new}"


class ModerationOutcome(models.Model):
    """One version of the outcome of moderating a centre's unit: what the rule made of the
    moderated sample, proposed by the moderator and decided by board staff (a second
    person). Approval applies it; a change after that is a new version, and the old one
    stays on record as superseded.

    The figures are a snapshot taken at proposal: the pairs, the adjustment's points and
    every candidate's centre and final mark (`finals`), so what the board approves is
    exactly what the moderator saw, and what the centre sees is exactly what was applied.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting the board's approval")
        RETURNED = "returned", _("Sent back to the moderator")
        APPROVED = "approved", _("Approved")
        SUPERSEDED = "superseded", _("Replaced by a later version")

    class Kind(models.TextChoices):
        WITHIN = "within", _("Within tolerance: the centre's marks stand")
        ADJUSTED = "adjusted", _("Outside tolerance: the centre's marks are adjusted")
        GRADES = "grades", _("Outcome unit: grades reviewed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("iamis.Unit", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status, default=Status.PROPOSED)
    kind = models.CharField(max_length=10, choices=Kind)
    max_mark = models.PositiveSmallIntegerField(default=0)
    tolerance = models.PositiveSmallIntegerField(default=0)
    # [[entry id, centre mark, moderator mark], ...] (grades on an outcome unit).
    pairs = models.JSONField(default=list)
    # [[centre mark, "numerator/denominator"], ...]: the adjustment's exact points.
    points = models.JSONField(default=list)
    # {"<entry id>": [centre mark or null, final mark or null]} for every candidate.
    finals = models.JSONField(default=dict)
    # Outcome units: {"<entry id>": board's grade} for the grades the board changes.
    grade_decisions = models.JSONField(default=dict, blank=True)
    reason = models.TextField(_("the reasons, for the centre"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("note from the board"), blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = CentreScopedManager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("moderation outcome")
        verbose_name_plural = _("moderation outcomes")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "unit", "version"], name="outcome_version_once"
            ),
            # At most one proposal waits, and at most one approved version is in force.
            models.UniqueConstraint(
                fields=["centre", "unit"],
                condition=Q(status="proposed"),
                name="one_pending_outcome",
            ),
            models.UniqueConstraint(
                fields=["centre", "unit"],
                condition=Q(status="approved"),
                name="one_outcome_in_force",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed"])
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="decided_outcome_has_decider",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "proposed_at"], name="outcome_queue"),
        ]

    def __str__(self) -> str:
        return (
            f"Outcome v{self.version} {self.unit_id} at {self.centre_id}: {self.status}"
        )

    def final_for(self, entry_id: int) -> tuple[int | None, int | None]:
        centre, final = self.finals.get(str(entry_id), [None, None])
        return centre, final
