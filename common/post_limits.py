"""A higher cap on form fields for the few views whose forms are legitimately large.

Django refuses a POST of more than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) fields, and it
does so while the CSRF middleware reads the token, before any view runs. The marksheet's
no-JavaScript form posts every cell of the page: a sheet of 2,000 candidates with six
tasks and initials is 18,000 fields. `allow_many_fields(n)` marks such a view, and
`ManyFieldsMiddleware` (placed before the CSRF middleware) reads that view's form with
the view's own cap. Every other view keeps Django's limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.datastructures import MultiValueDict

FIELD_LIMIT_ATTR = "post_field_limit"

ViewFunc = Callable[..., HttpResponse]


def allow_many_fields(limit: int) -> Callable[[ViewFunc], ViewFunc]:
    def mark(view: ViewFunc) -> ViewFunc:
        setattr(view, FIELD_LIMIT_ATTR, limit)
        return view

    return mark


class ManyFieldsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: ViewFunc, args: Any, kwargs: Any
    ) -> None:
        limit = getattr(view_func, FIELD_LIMIT_ATTR, None)
        if (
            limit is None
            or request.method != "POST"
            or request.content_type != "application/x-www-form-urlencoded"
            or hasattr(request, "_post")
        ):
            return
        charset = request.encoding or settings.DEFAULT_CHARSET
        try:
            pairs = parse_qsl(
                request.body.decode(charset, errors="replace"),
                keep_blank_values=True,
                max_num_fields=limit,
            )
        except ValueError as error:
            raise TooManyFieldsSent(str(error)) from None
        form = QueryDict(mutable=True, encoding=charset)
        for key, value in pairs:
            form.appendlist(key, value)
        form._mutable = False
        request._post = form  # type: ignore[attr-defined]
        request._files = MultiValueDict()  # type: ignore[attr-defined]
