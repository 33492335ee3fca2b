"""Password reset by e-mail (Django's views). A reset never signs anyone in: the
authenticator is still asked for at the next sign-in (ASVS 6.4.3)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import audit_record


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class RequestResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset/request.html"
    email_template_name = "accounts/password_reset/email.txt"
    html_email_template_name = "accounts/password_reset/email.html"
    subject_template_name = "accounts/password_reset/subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    form_class = ResetRequestForm


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset/confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            action=AuditEvent.Action.PASSWORD_RESET,
            actor_email=form.user.email,
            request=self.request,
        )
        return response


request_reset = RequestResetView.as_view()
reset_sent = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset/sent.html"
)
reset_confirm = ResetConfirmView.as_view()
reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset/complete.html"
)
