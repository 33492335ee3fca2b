"""Password reset by e-mail (Django's views). A reset never signs anyone in: the
authenticator is still asked for at the next sign-in (ASVS 6.4.3)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import audit_record
from common.client_ip import client_ip
from common.throttle import Throttle
from outbox.services import notify

# Links sent to one address, and requests from one connection, per hour: enough for
# someone who mistyped or lost an e-mail, too few to flood an inbox or the mail server.
RESET_PER_ADDRESS = Throttle("password-reset-address", 3, 60 * 60)
RESET_PER_CLIENT = Throttle("password-reset-client", 10, 60 * 60)


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class RequestResetView(auth_views.PasswordResetView):
    """Ask for a link. The e-mail goes out from a task (notifications.password_reset), so
    the answer takes as long whether or not the address has an account; a connection
    may ask only so often, and one address is sent only so many links."""

    template_name = "accounts/password_reset/request.html"
    success_url = reverse_lazy("accounts:password_reset_done")
    form_class = ResetRequestForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if RESET_PER_CLIENT.exceeded(client_ip(request)):
            return render(request, "accounts/password_reset/throttled.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        RESET_PER_CLIENT.hit(client_ip(self.request))
        email = form.cleaned_data["email"].strip().lower()
        # Past the limit the page still says "check your email": it never tells whether
        # an address has an account, nor whether it is being flooded.
        if RESET_PER_ADDRESS.hit(email) <= RESET_PER_ADDRESS.limit:
            notify(
                "password_reset",
                reset_id=uuid4().hex,
                site=self.request.build_absolute_uri("/"),
                # An address is personal data: not in logs, and emptied once sent.
                secrets={"email": email},
            )
        return HttpResponseRedirect(self.get_success_url())


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
