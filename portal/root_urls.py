"""The root URL configuration: every app's URLs under their own prefix."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.views.sign_in import sign_out
from moderation.urls import centre_urlpatterns
from portal.views.language import set_language


def _board_sign_in(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The back office signs in through the Portal's own sign-in, so MFA always applies.

    Someone signed in already who is not board staff is refused: sending them to the
    sign-in would send them straight back here, round and round.
    """
    target = request.GET.get("next") or reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(target, login_url=reverse("accounts:sign_in"))
    if admin.site.has_permission(request):
        return redirect(
            target
            if url_has_allowed_host_and_scheme(target, allowed_hosts=None)
            else reverse("admin:index")
        )
    raise PermissionDenied


def _board_sign_out(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The back office's "Log out" is the Portal's sign out: every session ends."""
    return sign_out(request)


def _board_password_change(
    request: HttpRequest, extra_context: object = None
) -> HttpResponse:
    """One password form for everyone: the profile's, limited like sign-in."""
    return redirect("accounts:password_change")


admin.site.login = _board_sign_in  # type: ignore[method-assign]
admin.site.logout = _board_sign_out  # type: ignore[method-assign,assignment]
admin.site.password_change = _board_password_change  # type: ignore[method-assign,assignment]
admin.site.site_header = "Internal Assessment Portal: board back office"

urlpatterns = [
    path("", include("portal.urls")),
    path("accounts/", include("accounts.urls")),
    path("iamis/", include("marksheets.urls")),
    path("iamis/", include("sampling.urls")),
    path("iamis/", include("uploads.urls")),
    path("iamis/", include((centre_urlpatterns, "moderation_centre"))),
    path("iamis/reports/", include("reports.urls")),
    path("console/", include("console.urls")),
    path("moderation/", include("moderation.urls")),
    path("training/", include("training.urls")),
    path("help/", include("guides.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("board/", admin.site.urls),
]
