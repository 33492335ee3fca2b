"""The guide pages: open to everyone (someone who cannot sign in needs them most)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .topics import TOPICS, topic_get


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "guides/index.html", {"topics": TOPICS})


@require_safe
def topic(request: HttpRequest, topic: str) -> HttpResponse:
    chosen = topic_get(topic)
    return render(request, "guides/topic.html", {"topic": chosen, "topics": TOPICS})
