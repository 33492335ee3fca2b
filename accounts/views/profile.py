"""Edit your profile: for every signed-in person (centre staff, moderators, board staff)."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import (
    sensitive_post_parameters,
    sensitive_variables,
)
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.profile import (
    AuthenticatorProofForm,
    NewAuthenticatorForm,
    ProfileForm,
    RemindersForm,
    ThrottledPasswordChangeForm,
)
from accounts.models import User
from accounts.services import mfa
from accounts.services import profile as services
from accounts.views.sign_in import locked_out
from audit.models import AuditEvent
from audit.services import audit_record

# Replacing the authenticator: proof first, then a new secret kept sealed in the session.
REPLACE_PROVED_AT = "mfa_replace_proved_at"
REPLACE_SEALED = "mfa_replace_sealed"
REPLACE_WINDOW_SECONDS = 10 * 60
# The proof step has no django-axes behind it: throttle guesses per person.
PROOF_FAILURE_LIMIT = 5
PROOF_LOCK_SECONDS = 15 * 60


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _with_language(response: HttpResponse, language: str) -> HttpResponse:
    """The preference becomes the language of this browser straight away."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        changed = services.profile_update(
            user=user, request=request, **form.cleaned_data
        )
        translation.activate(user.language)
        if changed:
            messages.success(request, _("Your profile has been saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return _with_language(redirect("accounts:profile"), user.language)
    return render(
        request,
        "accounts/profile/profile.html",
        {
            "form": form,
            "reminders_form": RemindersForm(
                initial={"deadline_reminders": user.deadline_reminders}
            ),
            "has_authenticator": mfa.user_has_mfa(user),
        },
    )


@require_POST
@login_required
def reminders(request: HttpRequest) -> HttpResponse:
    """The deadline reminders switch (a form of its own on the profile page)."""
    form = RemindersForm(request.POST)
    form.is_valid()  # a checkbox: absent means off, so every post is valid
    on = bool(form.cleaned_data.get("deadline_reminders"))
    if services.reminders_set(
        user=_user(request), deadline_reminders=on, request=request
    ):
        messages.success(
            request,
            _("You will get deadline reminders by e-mail.")
            if on
            else _("You will not get deadline reminders by e-mail."),
        )
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect("accounts:profile")


@sensitive_post_parameters()
@sensitive_variables()
@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ThrottledPasswordChangeForm(
        user, request.POST if request.method == "POST" else None, request=request
    )
    valid = request.method == "POST" and form.is_valid()
    if getattr(request, "axes_locked_out", False):
        audit_record(
            action=AuditEvent.Action.LOCKED_OUT,
            actor=user,
            request=request,
            stage="password_change",
        )
        return locked_out(request)
    if valid:
        services.password_change(
            user=user, new_password=form.cleaned_data["new_password1"], request=request
        )
        # Keep this session; the person's other sessions end with the old password.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile/password_change.html", {"form": form})


def _proof_failures_key(user: User) -> str:
    return f"profile-proof-failures:{user.pk}"


def _proof_locked(user: User) -> bool:
    return int(cache.get(_proof_failures_key(user), 0)) >= PROOF_FAILURE_LIMIT


def _count_proof_failure(user: User) -> None:
    key = _proof_failures_key(user)
    cache.add(key, 0, PROOF_LOCK_SECONDS)
    cache.incr(key)


@sensitive_variables()
def _new_secret_if_proved(request: HttpRequest) -> str | None:
    """The sealed new secret, while the proof is fresh; otherwise start again."""
    proved_at = request.session.get(REPLACE_PROVED_AT)
    sealed = request.session.get(REPLACE_SEALED)
    now = int(timezone.now().timestamp())
    if proved_at is not None and sealed and now - proved_at <= REPLACE_WINDOW_SECONDS:
        return mfa.unseal(sealed)
    request.session.pop(REPLACE_PROVED_AT, None)
    request.session.pop(REPLACE_SEALED, None)
    return None


@sensitive_post_parameters()
@sensitive_variables()
@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def replace_authenticator(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not mfa.user_has_mfa(user):
        return render(request, "accounts/profile/authenticator_none.html")
    secret = _new_secret_if_proved(request)
    if secret is None:
        return _prove(request, user)

    form = NewAuthenticatorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        codes = services.authenticator_replace(
            user=user,
            secret=secret,
            code=form.cleaned_data["new_code"],
            request=request,
        )
        if codes is not None:
            request.session.pop(REPLACE_PROVED_AT, None)
            request.session.pop(REPLACE_SEALED, None)
            return render(
                request, "accounts/profile/authenticator_done.html", {"codes": codes}
            )
        form.add_error(
            "new_code",
            _(
                "That code is not right. Check that the new app shows a code for this "
                "account and that your phone's clock is set automatically."
            ),
        )
    uri = mfa.provisioning_uri(user=user, secret=secret)
    return render(
        request,
        "accounts/profile/authenticator_new.html",
        {
            "form": form,
            "qr_uri": mfa.qr_data_uri(uri),
            "manual_key": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@sensitive_variables()
def _prove(request: HttpRequest, user: User) -> HttpResponse:
    """Step 1 of replacing the authenticator: a current code or a recovery code."""
    if _proof_locked(user):
        return render(
            request,
            "accounts/profile/authenticator_prove.html",
            {"locked": True},
            status=429,
        )
    form = AuthenticatorProofForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if services.authenticator_prove(
            user=user,
            code=form.cleaned_data["code"],
            recovery_code=form.cleaned_data["recovery_code"],
            request=request,
        ):
            cache.delete(_proof_failures_key(user))
            request.session[REPLACE_PROVED_AT] = int(timezone.now().timestamp())
            request.session[REPLACE_SEALED] = mfa.seal(mfa.new_secret())
            return redirect("accounts:replace_authenticator")
        _count_proof_failure(user)
        field = "code" if form.cleaned_data["code"] else "recovery_code"
        form.add_error(
            field,
            _("That code is not right or has been used before. Try a new one."),
        )
    return render(request, "accounts/profile/authenticator_prove.html", {"form": form})
