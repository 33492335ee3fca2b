"""The tenant: centres, the people who belong to them (memberships and their access
grants) and the moderators allocated to them.

Every domain app depends on this one and never the reverse: the tables keep the names
they had in `iamis` and `accounts` (db_table), so no data moved when they came here.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CENTRE_NUMBER_MAX = 79999


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
        db_table = "iamis_centre"
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

    def notification_addresses(self) -> list[str]:
        """Where the board's notices to the centre go (further samples, clerical
        errors): the post-results address and the exams officer, each once."""
        unique: dict[str, str] = {}
        for address in (self.post_results_email, self.exams_officer_email):
            address = (address or "").strip()
            if address:
                unique.setdefault(address.lower(), address)
        return list(unique.values())


class Membership(models.Model):
    """A person's account at one centre. A person may belong to several centres."""

    class AccountType(models.TextChoices):
        EXAMS_OFFICER = "exams_officer", _("Exams officer")
        ADMIN = "admin", _("Admin")
        USER = "user", _("User")

    # Centre Users pages name a member by this id, never by a guessable number.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="memberships"
    )
    account_type = models.CharField(
        _("account type"), max_length=20, choices=AccountType, default=AccountType.USER
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The current (or last) spell at the centre: who may see a person's own events,
    # those with no centre such as sign-ins, depends on where they were a member then.
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    # IAMIS may be limited to chosen qualifications or units (none chosen: every unit).
    iamis_qualifications = models.ManyToManyField(
        "iamis.Qualification",
        blank=True,
        related_name="+",
        db_table="accounts_membership_iamis_qualifications",
    )
    iamis_units = models.ManyToManyField(
        "iamis.Unit",
        blank=True,
        related_name="+",
        db_table="accounts_membership_iamis_units",
    )

    class Meta:
        db_table = "accounts_membership"
        ordering = ["centre", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "centre"], name="membership_unique_per_centre"
            ),
            models.UniqueConstraint(
                fields=["centre"],
                condition=Q(account_type="exams_officer", is_active=True),
                name="one_exams_officer_per_centre",
                violation_error_message=_("A centre has one exams officer."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.centre}"

    @property
    def is_centre_admin(self) -> bool:
        """Exams officers and Admin accounts manage the centre and see every area."""
        return self.account_type in (
            self.AccountType.EXAMS_OFFICER,
            self.AccountType.ADMIN,
        )

    def has_access(self, area: str) -> bool:
        """Whether this member may use a Portal area: from the areas TenancyMiddleware
        read with the membership, or else from `grants` (prefetched, or one query)."""
        if self.is_centre_admin:
            return True
        granted: str | None = getattr(self, "granted_areas", None)
        if granted is not None:
            return area in granted.split(",")
        return any(grant.area == area for grant in self.grants.all())

    def iamis_limit(self) -> tuple[list[int], list[int]]:
        """The units and qualifications this member was limited to (Manage access):
        from what TenancyMiddleware read with the membership, or else one query each.
        Both empty: not limited."""
        units: str | None = getattr(self, "limited_unit_ids", None)
        qualifications: str | None = getattr(self, "limited_qualification_ids", None)
        if units is None or qualifications is None:
            return (
                list(self.iamis_units.values_list("pk", flat=True)),
                list(self.iamis_qualifications.values_list("pk", flat=True)),
            )
        return _ids(units), _ids(qualifications)


def _ids(joined: str) -> list[int]:
    return [int(part) for part in joined.split(",") if part]


class AccessGrant(models.Model):
    """A Portal area a User account has been given by its exams officer or an admin."""

    class Area(models.TextChoices):
        IAMIS = "iamis", _("IAMIS")
        TRAINING = "training", _("Invigilator training")
        ACCESS_ARRANGEMENTS = "access_arrangements", _("Access Arrangements / CAP")
        ENTRIES_RESULTS = "entries_results", _("Entries and Results")
        RESOURCES = "resources", _("Past Papers, Marking Schemes and Resources")
        VIEW_SCRIPTS = "view_scripts", _("View Scripts")

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="grants"
    )
    area = models.CharField(_("area"), max_length=30, choices=Area)
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        db_table = "accounts_accessgrant"
        ordering = ["membership", "area"]
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "area"], name="grant_unique_per_area"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership}: {self.get_area_display()}"


class ModeratorAllocation(models.Model):
    """Board staff allocate a moderator to a centre's unit."""

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="allocations",
        limit_choices_to={"is_moderator": True},
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "iamis.Unit", on_delete=models.PROTECT, related_name="allocations"
    )

    class Meta:
        db_table = "iamis_moderatorallocation"
        verbose_name = _("moderator allocation")
        verbose_name_plural = _("moderator allocations")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "unit"], name="one_moderator_per_centre_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.moderator} -> {self.centre_id} {self.unit.code}"

    def clean(self) -> None:
        # Nobody moderates the work of a centre they belong to.
        if (
            self.moderator_id
            and self.centre_id
            and self.moderator.memberships.filter(
                centre_id=self.centre_id, is_active=True
            ).exists()
        ):
            raise ValidationError(
                _("This moderator is a member of the centre and cannot moderate it.")
            )
