from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.forms import ChooseCentreForm, SignInForm
from accounts.selectors import memberships_for
from common.tenancy import choose_membership


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True


sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view()


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


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


def locked_out(
    request: HttpRequest, credentials: object = None, *args: object, **kwargs: object
) -> HttpResponse:
    """django-axes calls this when a sign-in is refused because of too many failures."""
    return render(request, "accounts/locked_out.html", status=429)


def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Placeholder until the sign-in flow lands: the link is checked, nothing else."""
    from accounts.invites import invite_for_token

    invite = invite_for_token(token)
    return render(
        request,
        "accounts/invite_invalid.html"
        if invite is None
        else "accounts/invite_accept.html",
        {"invite": invite},
        status=404 if invite is None else 200,
    )
