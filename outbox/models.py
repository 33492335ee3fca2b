"""What the portal still has to tell people: one row per notification, written in the
same transaction as the change it is about (the transactional outbox).

A change that commits has its row; a change rolled back has none. The row stays
pending until a handler has sent it, so an e-mail survives Redis or the mail server
being away when the change was made: `outbox.tasks.sweep` hands it over again, and
gives it up (failed_at) only after about a day of trying.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    # What happened, e.g. "submission_receipt"; the handler registered for it (the
    # notifications app registers its e-mails) works out who is told, when it runs.
    kind = models.CharField(_("kind"), max_length=60)
    # The handler's keyword arguments: ids of what it is about, never whole objects.
    arguments = models.JSONField(_("arguments"), default=dict)
    # Arguments kept out of logs and emptied once sent (an invite or reset link).
    secrets = models.JSONField(default=dict, editable=False)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    # When the row was last handed to the broker; None: never (the broker was away).
    published_at = models.DateTimeField(_("handed to a worker"), null=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True)
    # Given up after outbox.tasks.MAX_HANDOVERS hand-overs; its secrets are emptied.
    failed_at = models.DateTimeField(_("given up"), null=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The sweep reads only what is still to send.
            models.Index(
                fields=["published_at"],
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                name="outbox_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.arguments}"
