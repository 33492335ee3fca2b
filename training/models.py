"""Staff training and assessments (The Exams Office Hub's invigilator training).

Content (board staff author it in the back office or load it from a data file):
an academic year's assessments, each for some centre roles, made of sections; a section
has training pages with reference and video links, self-assessment statements, and
questions with options and a reference to re-read. An assessment-only section (the guide's
IDA) has questions only.

Progress belongs to a centre member (so it is the centre's, and its exams officer sees
it): the declaration, each section's three steps, every attempt with its answers, and the
certificate once every section is passed. On 1 August the year's progress is archived and
kept read-only.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.scoping import CentreScopedManager


class StaffRole(models.Model):
    """A centre role that decides which assessments a person is given."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = _("centre staff role")
        verbose_name_plural = _("centre staff roles")

    def __str__(self) -> str:
        return self.name


class AcademicYear(models.Model):
    """1 August to 31 July. Its assessments open when board staff publish the year;
    completion is due by the end of July, when the year is archived."""

    label = models.CharField(_("academic year"), max_length=9, unique=True)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")),
                name="year_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def bounds_for(cls, day: date) -> tuple[date, date, str]:
        start_year = day.year if day.month >= 8 else day.year - 1
        label = f"{start_year}/{(start_year + 1) % 100:02d}"
        return date(start_year, 8, 1), date(start_year + 1, 7, 31), label


class TrainingProfile(models.Model):
    """A centre member's roles for training, and when they accepted the Terms of Use."""

    membership = models.OneToOneField(
        "centres.Membership", on_delete=models.CASCADE, related_name="training"
    )
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.CASCADE, related_name="+"
    )
    roles = models.ManyToManyField(StaffRole, blank=True, related_name="+")

    objects = CentreScopedManager()

    class Meta:
        verbose_name = _("training profile")
        verbose_name_plural = _("training profiles")

    def __str__(self) -> str:
        return str(self.membership)


class TermsAcceptance(models.Model):
    """The Terms of Use, accepted once by a person, with when and from where."""

    VERSION = "2026-1"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    version = models.CharField(max_length=20)
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("terms of use acceptance")
        verbose_name_plural = _("terms of use acceptances")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "version"], name="terms_accepted_once_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.version}"


class Assessment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    year = models.ForeignKey(
        AcademicYear, on_delete=models.PROTECT, related_name="assessments"
    )
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(
        _("label"), max_length=20, blank=True, help_text="(Unit 1)"
    )
    title = models.CharField(_("title"), max_length=200)
    roles = models.ManyToManyField(StaffRole, related_name="assessments")
    declaration = models.TextField(_("declaration"))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["year", "position", "title"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "code"], name="assessment_code_unique_in_year"
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        label = f"{self.label} " if self.label else ""
        return f"{label}{self.title.upper()} ({self.year.label})"


class Section(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="sections"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    # Blank for an assessment-only section (the guide's IDA): no training, no statements.
    training_text = models.TextField(_("training"), blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["assessment", "number"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "number"], name="section_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"(Section {self.number}) {self.title}"

    @property
    def assessment_only(self) -> bool:
        return not self.training_text.strip()


class Link(models.Model):
    class Kind(models.TextChoices):
        REFERENCE = "reference", _("Reference")
        VIDEO = "video", _("Training video")

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.REFERENCE)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("address"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["section", "kind", "position"]
        verbose_name = _("link")
        verbose_name_plural = _("links")

    def __str__(self) -> str:
        return self.title


class Statement(models.Model):
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="statements"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("statement"))

    class Meta:
        ordering = ["section", "number"]
        verbose_name = _("self-assessment statement")
        verbose_name_plural = _("self-assessment statements")
        constraints = [
            models.UniqueConstraint(
                fields=["section", "number"], name="statement_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Question(models.Model):
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="questions"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("question"))
    reference_title = models.CharField(_("reference"), max_length=200)
    reference_url = models.URLField(_("reference address"), blank=True)

    class Meta:
        ordering = ["section", "number"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["section", "number"], name="question_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Option(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="options"
    )
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("answer"), max_length=300)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")

    def __str__(self) -> str:
        return self.text


# --- A person's progress ------------------------------------------------------------------


class Progress(models.Model):
    """One centre member's work on one assessment."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    membership = models.ForeignKey(
        "centres.Membership",
        on_delete=models.CASCADE,
        related_name="training_progress",
    )
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="progress_rows"
    )
    declaration_accepted_at = models.DateTimeField(null=True, blank=True)
    passed_at = models.DateTimeField(null=True, blank=True)
    # Set on 1 August for the year that ended: kept, read-only.
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = CentreScopedManager()

    class Meta:
        verbose_name = _("assessment progress")
        verbose_name_plural = _("assessment progress")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "assessment"], name="progress_once_per_member"
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "assessment"], name="progress_centre")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.assessment_id}"


class SectionProgress(models.Model):
    progress = models.ForeignKey(
        Progress, on_delete=models.CASCADE, related_name="sections"
    )
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="+")
    training_read_at = models.DateTimeField(null=True, blank=True)
    # Statement ids confirmed "Aware", in order.
    aware_of = models.JSONField(default=list, blank=True)
    self_assessed_at = models.DateTimeField(null=True, blank=True)
    # Question id -> correct, from the latest answer to each question.
    latest = models.JSONField(default=dict, blank=True)
    mark = models.PositiveSmallIntegerField(null=True, blank=True)
    passed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("section progress")
        verbose_name_plural = _("section progress")
        constraints = [
            models.UniqueConstraint(
                fields=["progress", "section"], name="section_progress_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.progress_id} {self.section_id}"


class Attempt(models.Model):
    """One go at a section's questions; a re-attempt asks only the ones answered wrongly."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    section_progress = models.ForeignKey(
        SectionProgress, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField()
    question_ids = models.JSONField(default=list)
    position = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    correct = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["section_progress", "number"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["section_progress", "number"], name="attempt_number_unique"
            ),
            models.UniqueConstraint(
                fields=["section_progress"],
                condition=Q(finished_at__isnull=True),
                name="one_open_attempt_per_section",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.section_progress_id} #{self.number}"


class Answer(models.Model):
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="one_answer_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.question_id}"


class Certificate(models.Model):
    """Issued when every section of an assessment is passed; its PDF is made by the
    worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Preparing the certificate...")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Could not be made")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    progress = models.OneToOneField(
        Progress, on_delete=models.CASCADE, related_name="certificate"
    )
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="+"
    )
    person_name = models.CharField(max_length=200)
    issued_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    storage_key = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = CentreScopedManager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return f"{self.person_name}: {self.progress.assessment}"
