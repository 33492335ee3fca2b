"""Audit events: who did what, when, from where. Rows are only ever added."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        LOCKED_OUT = "locked_out", _("Locked out")
        SIGN_OUT = "sign_out", _("Signed out")
        MFA_ENROLLED = "mfa_enrolled", _("Authenticator set up")
        MFA_REPLACED = "mfa_replaced", _("Authenticator replaced")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        PROFILE_CHANGED = "profile_changed", _("Profile changed")
        INVITE_SENT = "invite_sent", _("Invite sent")
        INVITE_RESENT = "invite_resent", _("Invite resent")
        INVITE_REVOKED = "invite_revoked", _("Invite revoked")
        INVITE_ACCEPTED = "invite_accepted", _("Invite accepted")
        ACCESS_CHANGED = "access_changed", _("Access changed")
        USER_REMOVED = "user_removed", _("User removed")
        CENTRE_CHANGED = "centre_changed", _("Centre details changed")
        EO_CHANGE_REQUESTED = (
            "eo_change_requested",
            _("Change of exams officer requested"),
        )
        EO_CHANGE_DECIDED = "eo_change_decided", _("Change of exams officer decided")
        ACCESS_REFUSED = "access_refused", _("Access refused")
        MARKS_SUBMITTED = "marks_submitted", _("Marks submitted")
        MARK_CHANGE_REQUESTED = "mark_change_requested", _("Mark change requested")
        MARK_CHANGE_DECIDED = "mark_change_decided", _("Mark change request decided")
        SAMPLE_GENERATED = "sample_generated", _("Sample generated")
        SAMPLE_MEMBER_ADDED = "sample_member_added", _("Candidate added to the sample")
        SAMPLE_MEMBER_REMOVED = (
            "sample_member_removed",
            _("Candidate removed from the sample"),
        )
        SAMPLE_SUBSTITUTED = (
            "sample_substituted",
            _("Unavailable work replaced in the sample"),
        )
        SAMPLE_FURTHER_REQUESTED = (
            "sample_further_requested",
            _("Further sample requested"),
        )
        FILE_UPLOADED = "file_uploaded", _("File uploaded")
        FILE_DELETED = "file_deleted", _("File deleted")
        FILE_LOCKED = "file_locked", _("File locked at the deletion cutoff")
        FILE_SCANNED = "file_scanned", _("File checked for viruses")
        CLERICAL_CORRECTION = "clerical_correction", _("Clerical correction made")
        MODERATOR_REPORT_SAVED = "moderator_report_saved", _("Moderator report saved")
        MODERATOR_REPORT_PUBLISHED = (
            "moderator_report_published",
            _("Moderator report published"),
        )
        OUTCOME_PROPOSED = "outcome_proposed", _("Moderation outcome proposed")
        OUTCOME_RETURNED = "outcome_returned", _("Moderation outcome sent back")
        OUTCOME_APPROVED = (
            "outcome_approved",
            _("Moderation outcome approved and applied"),
        )

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too, so the record survives the account and shows who typed what.
    actor_email = models.CharField(_("who"), max_length=254, blank=True)
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("what"), max_length=40, choices=Action)
    target = models.CharField(_("about"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("from"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["centre", "-at"], name="audit_centre_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.target}"
        )
