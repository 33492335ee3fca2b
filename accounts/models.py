"""People and what they may reach: users (e-mail identity), centre memberships, access grants."""

from __future__ import annotations

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
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("board staff"),
        default=False,
        help_text=_("Board staff can use the back office."),
    )
    is_moderator = models.BooleanField(_("moderator"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

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


class Membership(models.Model):
    """A person's account at one centre. A person may belong to several centres."""

    class AccountType(models.TextChoices):
        EXAMS_OFFICER = "exams_officer", _("Exams officer")
        ADMIN = "admin", _("Admin")
        USER = "user", _("User")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey(
        "iamis.Centre", on_delete=models.CASCADE, related_name="memberships"
    )
    account_type = models.CharField(
        _("account type"), max_length=20, choices=AccountType, default=AccountType.USER
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

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
        """Whether this member may use a Portal area; needs `grants` prefetched or loads it."""
        if self.is_centre_admin:
            return True
        return any(grant.area == area for grant in self.grants.all())


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
