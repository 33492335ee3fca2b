"""Sign-in as Portal does it: e-mail, then password, then a 6-digit code.

A person is only signed in (Django's `login`) once the authenticator code, a recovery code or
a first-time enrolment has succeeded; until then the session holds a pending sign-in that no
page other than these steps accepts. The session id changes after the password and again
at `login` (ASVS 7.2.4).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import (
    sensitive_post_parameters,
    sensitive_variables,
)
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.sign_in import (
    ChooseCentreForm,
    CodeStepForm,
    EmailStepForm,
    NewPasswordForm,
    PasswordStepForm,
    RecoveryCodeForm,
)
from accounts.models import User
from accounts.selectors import memberships_for
from accounts.services import mfa
from accounts.services.invites import invite_accept as accept_invite
from accounts.services.invites import invite_for_token
from accounts.services.sessions import sessions_end_everywhere
from audit.models import AuditEvent
from audit.services import audit_record
from centres.tenancy import choose_membership
from common.client_ip import client_ip
from common.throttle import Throttle, wait_turn

PENDING_EMAIL = "signin_email"
PENDING_USER = "signin_user_id"
PENDING_NEXT = "signin_next"
ENROL_SECRET = "enrol_secret"  # noqa: S105 - a session key, not a secret
FRESH_CODES = "fresh_recovery_codes"

# The code step has no django-axes behind it: throttle it here (ASVS 2.2.1), like
# django-axes does the password, per (account, client address). Never per account alone:
# whoever knows an address (or a password) could then keep its owner out for ever.
CODE_FAILURE_LIMIT = 5
CODE_LOCK_SECONDS = 15 * 60
CODE_FAILURES = Throttle("signin-code", CODE_FAILURE_LIMIT, CODE_LOCK_SECONDS)
# Guesses spread over many addresses are slowed per account instead: after this many
# failures (password or code) in the window, each client address may try that account
# once per ACCOUNT_SLOW_SECONDS. Its owner, from their own address, waits at most that.
ACCOUNT_FAILURES = Throttle("signin-account", 10, 60 * 60)
ACCOUNT_SLOW_SECONDS = 30

ModelBackend = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, value: str | None = None) -> str:
    target = value or request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def _clear_pending(request: HttpRequest) -> None:
    for key in (PENDING_EMAIL, PENDING_USER, PENDING_NEXT, ENROL_SECRET):
        request.session.pop(key, None)


def _complete_sign_in(request: HttpRequest, user: User, *, how: str) -> str:
    """Sign the person in for real; returns where they were going."""
    target = _safe_next(request, request.session.get(PENDING_NEXT))
    _clear_pending(request)
    login(request, user, backend=ModelBackend)  # starts the session clocks too
    CODE_FAILURES.clear(user.pk, client_ip(request))
    audit_record(
        action=AuditEvent.Action.SIGN_IN, actor=user, request=request, method=how
    )
    return target or reverse("portal:home")


def _in_their_language(response: HttpResponse, user: User) -> HttpResponse:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


def _code_locked(request: HttpRequest, user: User) -> bool:
    return CODE_FAILURES.exceeded(user.pk, client_ip(request))


def _slowed(request: HttpRequest, email: str, *, step: str) -> bool:
    """Whether this attempt on `email` must wait (the account is being guessed at)."""
    if not ACCOUNT_FAILURES.exceeded(email):
        return False
    return not wait_turn(
        f"signin-slow-{step}", ACCOUNT_SLOW_SECONDS, email, client_ip(request)
    )


def _slow_down(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/slowed_down.html",
        {"seconds": ACCOUNT_SLOW_SECONDS},
        status=429,
    )


def _count_code_failure(request: HttpRequest, user: User) -> None:
    failures = CODE_FAILURES.hit(user.pk, client_ip(request))
    ACCOUNT_FAILURES.hit(user.email)
    audit_record(
        action=AuditEvent.Action.SIGN_IN_FAILED,
        actor_email=user.email,
        request=request,
        stage="code",
    )
    if failures == CODE_FAILURE_LIMIT:
        audit_record(
            action=AuditEvent.Action.LOCKED_OUT,
            actor_email=user.email,
            request=request,
            stage="code",
        )


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Step 1: the e-mail address (nothing is said about whether it has an account)."""
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or "portal:home")
    form = EmailStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _clear_pending(request)
        request.session[PENDING_EMAIL] = form.cleaned_data["email"].strip().lower()
        request.session[PENDING_NEXT] = _safe_next(request)
        return redirect("accounts:sign_in_password")
    reason = request.GET.get("reason")
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": _safe_next(request), "reason": reason},
    )


@sensitive_post_parameters()
@sensitive_variables()
@require_http_methods(["GET", "POST"])
def sign_in_password(request: HttpRequest) -> HttpResponse:
    """Step 2: the password; django-axes counts failures and locks (e-mail, IP) pairs."""
    email = request.session.get(PENDING_EMAIL)
    if not email:
        return redirect("accounts:sign_in")
    form = PasswordStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _slowed(request, email, step="password"):
            return _slow_down(request)
        user = authenticate(
            request, username=email, password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            audit_record(
                action=AuditEvent.Action.LOCKED_OUT, actor_email=email, request=request
            )
            return locked_out(request)
        if user is None:
            ACCOUNT_FAILURES.hit(email)
            audit_record(
                action=AuditEvent.Action.SIGN_IN_FAILED,
                actor_email=email,
                request=request,
                stage="password",
            )
            form.add_error(
                None,
                _(
                    "The email address or password is not right. Check them and try again."
                ),
            )
        else:
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            if mfa.user_has_mfa(user):
                return redirect("accounts:sign_in_code")
            return redirect("accounts:enrol")
    return render(
        request, "accounts/sign_in_password.html", {"form": form, "email": email}
    )


@sensitive_post_parameters()
@sensitive_variables()
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Step 3: a code from the authenticator, or one of the recovery codes."""
    user = _pending_user(request)
    device = mfa.confirmed_device(user) if user else None
    if user is None or device is None:
        return redirect("accounts:sign_in")
    if _code_locked(request, user):
        return _code_locked_out(request)
    use_recovery = request.GET.get("recovery") == "1" or "recovery_code" in request.POST
    form: CodeStepForm | RecoveryCodeForm
    if use_recovery:
        form = RecoveryCodeForm(request.POST or None)
    else:
        form = CodeStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _slowed(request, user.email, step="code"):
            return _slow_down(request)
        if isinstance(form, RecoveryCodeForm):
            if mfa.recovery_code_use(
                user=user, code=form.cleaned_data["recovery_code"]
            ):
                audit_record(
                    action=AuditEvent.Action.RECOVERY_CODE_USED,
                    actor=user,
                    request=request,
                    left=mfa.recovery_codes_left(user=user),
                )
                target = _complete_sign_in(request, user, how="recovery_code")
                return _in_their_language(redirect(target), user)
            form.add_error(
                "recovery_code",
                _("That recovery code is not right or was used before."),
            )
        elif mfa.totp_verify(device=device, code=form.cleaned_data["code"]):
            target = _complete_sign_in(request, user, how="totp")
            return _in_their_language(redirect(target), user)
        else:
            form.add_error(
                "code",
                _("That code is not right. Wait for a new code and enter it."),
            )
        _count_code_failure(request, user)
        if _code_locked(request, user):
            return _code_locked_out(request)
    return render(
        request,
        "accounts/sign_in_code.html",
        {"form": form, "use_recovery": use_recovery},
    )


@sensitive_post_parameters()
@sensitive_variables()
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up an authenticator app, confirm it with a code."""
    user = _pending_user(request)
    if user is None or mfa.user_has_mfa(user):
        return redirect("accounts:sign_in")
    sealed = request.session.get(ENROL_SECRET)
    if sealed is None:
        sealed = mfa.seal(mfa.new_secret())
        request.session[ENROL_SECRET] = sealed
    secret = mfa.unseal(sealed)
    form = CodeStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.device_enrol(user=user, secret=secret, code=form.cleaned_data["code"]):
            audit_record(
                action=AuditEvent.Action.MFA_ENROLLED, actor=user, request=request
            )
            codes = mfa.recovery_codes_issue(user=user)
            target = _complete_sign_in(request, user, how="enrolment")
            request.session[FRESH_CODES] = codes
            query = urlencode({"next": target})
            return _in_their_language(
                redirect(f"{reverse('accounts:recovery_codes')}?{query}"), user
            )
        form.add_error(
            "code",
            _(
                "That code is not right. Check that the app shows a code for this "
                "account and that your phone's clock is set automatically."
            ),
        )
    uri = mfa.provisioning_uri(user=user, secret=secret)
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "qr_uri": mfa.qr_data_uri(uri),
            "manual_key": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@sensitive_variables()
@login_required
@require_http_methods(["GET"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The ten recovery codes, shown once right after they are made."""
    codes = request.session.pop(FRESH_CODES, None)
    if not codes:
        return redirect(_safe_next(request) or "portal:home")
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": _safe_next(request) or reverse("portal:home")},
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Signs the person out here and on every other device they are signed in on."""
    if request.user.is_authenticated:
        audit_record(
            action=AuditEvent.Action.SIGN_OUT,
            actor=request.user,
            request=request,
        )
        sessions_end_everywhere(user=request.user)
    logout(request)
    return redirect("accounts:sign_in")


@login_required
@require_http_methods(["GET", "POST"])
def choose_centre(request: HttpRequest) -> HttpResponse:
    memberships = memberships_for(user=request.user)  # type: ignore[arg-type]
    form = ChooseCentreForm(request.POST or None, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        choose_membership(request, form.cleaned_data["membership"])
        return redirect(_safe_next(request) or "portal:home")
    return render(
        request,
        "accounts/choose_centre.html",
        {"form": form, "next": _safe_next(request)},
    )


@sensitive_post_parameters()
@sensitive_variables()
@require_http_methods(["GET", "POST"])
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open an invite link: a newcomer chooses a password and sets up MFA; someone with
    an account already (at another centre) signs in and joins."""
    invite = invite_for_token(token)
    if invite is None:
        return render(request, "accounts/invite_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invite.email).first()
    context: dict[str, Any] = {"invite": invite, "existing": existing}
    if existing is not None:
        signed_in_as_invitee = (
            request.user.is_authenticated and request.user.pk == existing.pk
        )
        if request.method == "POST" and signed_in_as_invitee:
            accept_invite(token=token, password=None, request=request)
            membership = memberships_for(user=existing).get(centre=invite.centre)
            choose_membership(request, membership)
            messages.success(
                request,
                _("You have joined %(centre)s.") % {"centre": invite.centre.name},
            )
            return redirect("portal:home")
        context["signed_in_as_invitee"] = signed_in_as_invitee
        context["sign_in_url"] = f"{reverse('accounts:sign_in')}?next={request.path}"
        return render(request, "accounts/invite_existing.html", context)

    form = NewPasswordForm(request.POST or None, email=invite.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_invite(
                token=token, password=form.cleaned_data["password1"], request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if request.user.is_authenticated:
                logout(request)
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            return redirect("accounts:enrol")
    context["form"] = form
    return render(request, "accounts/invite_accept.html", context)


def locked_out(
    request: HttpRequest, credentials: object = None, *args: object, **kwargs: object
) -> HttpResponse:
    """Too many wrong passwords (django-axes calls this too)."""
    return render(request, "accounts/locked_out.html", {"step": "password"}, status=429)


def _code_locked_out(request: HttpRequest) -> HttpResponse:
    """Too many wrong codes: the password was right, so resetting it would not help."""
    return render(request, "accounts/locked_out.html", {"step": "code"}, status=429)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The e-mail address django-axes counts failures against (lower case, as stored)."""
    # authenticate() passes the address as "email" (the user model's USERNAME_FIELD) or
    # "username", depending on the caller; the session knows it during our own sign-in.
    given = credentials or {}
    username = (
        given.get("email")
        or given.get("username")
        or request.session.get(PENDING_EMAIL)
    )
    return str(username or "").strip().lower()
