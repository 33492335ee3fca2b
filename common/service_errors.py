"""A service's refusal (a ValidationError) shown to the person who asked: on the form, or
as one sentence in a message or an inline error. Every message it carries is kept."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Errors about a field go on that field; the rest on the form as a whole."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def service_message(error: ValidationError) -> str:
    """The refusal in words: its messages, in order, as one text."""
    return " ".join(str(message) for message in error.messages)
