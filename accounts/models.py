"""People and what they may reach: users (e-mail identity), centre memberships, access grants."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # E-mail addresses are matched without regard to case, as people type them.
        return self.get(email__iexact=username)

    def create_user(
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in. `is_staff` marks board staff; moderators carry `is_moderator`."""

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        WELSH = "cy", _("Cymraeg")

    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    language = models.CharField(
        _("language preference"),
        max_length=2,
        choices=Language,
        default=Language.ENGLISH,
    )
    # E-mails 7 days and 1 day before a unit's deadline for sheets not yet submitted.
    deadline_reminders = models.BooleanField(
        _("e-mail me deadline reminders"), default=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("board staff"),
        default=False,
        help_text=_("Board staff can use the back office."),
    )
    is_moderator = models.BooleanField(_("moderator"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Part of every session's auth hash: adding one ends all of the person's sessions
    # at their next request (sign-out, deactivation), however many devices.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_any_case"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django checks this HMAC on every request and flushes a session whose hash no
        # longer matches: the password (Django's own rule) and the epoch (ours).
        key_salt = "accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt,
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Membership(models.Model):
    """A person's account at one centre. A person may belong to several centres."""

    class AccountType(models.TextChoices):
        EXAMS_OFFICER = "exams_officer", _("Exams officer")
        ADMIN = "admin", _("Admin")
        USER = "user", _("User")

    # Centre Users pages name a member by this id, never by a guessable number.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey(
        "iamis.Centre", on_delete=models.CASCADE, related_name="memberships"
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
        "iamis.Qualification", blank=True, related_name="+"
    )
    iamis_units = models.ManyToManyField("iamis.Unit", blank=True, related_name="+")

    class Meta:
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


class TOTPDevice(models.Model):
    """A person's authenticator app; the shared secret is stored encrypted (accounts.mfa)."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="totp_device"
    )
    encrypted_secret = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last accepted time step: a code is refused unless its step is later (ASVS 6.5.1).
    last_used_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def __str__(self) -> str:
        return f"Authenticator for {self.user}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost; only its hash is kept."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"Recovery code for {self.user}"


class Invite(models.Model):
    """An invitation to join a centre; its link works once and expires after 7 days."""

    VALID_FOR = timedelta(days=7)

    class Status(models.TextChoices):
        SENT = "sent", _("Invite sent")
        ACCEPTED = "accepted", _("Active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "iamis.Centre", on_delete=models.CASCADE, related_name="invites"
    )
    email = models.EmailField(_("e-mail address"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    language = models.CharField(
        _("language preference"), max_length=2, choices=User.Language, default="en"
    )
    account_type = models.CharField(
        _("account type"), max_length=20, choices=Membership.AccountType
    )
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Training role codes (training.StaffRole) given when the invite is accepted; any
    # role also gives the Invigilator training access.
    staff_roles = models.JSONField(default=list, blank=True)
    # SHA-256 of the random token in the link; the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("invite")
        verbose_name_plural = _("invites")
        indexes = [models.Index(fields=["centre", "email"], name="invite_centre_email")]

    def __str__(self) -> str:
        return f"Invite for {self.email} to {self.centre_id}"

    def status_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if now >= self.expires_at:
            return self.Status.EXPIRED
        return self.Status.SENT

    def is_usable_at(self, now: datetime) -> bool:
        return self.status_at(now) == self.Status.SENT
