"""The words of the browser's save queue (static/js/marksheet.js), which every page of
inline-saved marks uses: the centre's marksheet and the moderator's marks."""

from __future__ import annotations

from django.utils.translation import gettext as _


def save_queue_words() -> dict[str, str]:
    """What static/js/marksheet.js says, in the page's language (the page puts it in a
    `json_script` named marksheet-words)."""
    return {
        "saved": _("Saved"),
        "saving": _("Saving…"),
        "queued": _("Not saved yet: will retry"),
        "refused": _("Not saved"),
        "conflict": _("Not saved: changed by someone else"),
        "confirm": _("Not saved yet: confirm absent"),
        "count_one": _("1 mark not saved yet."),
        "count_many": _("%(count)s marks not saved yet."),
        "offline": _(
            "This computer is offline. The marks are kept in this browser and will be "
            "sent when the connection is back; keep this page open or come back to it."
        ),
        "failing": _(
            "The server could not be reached or had a problem. The marks are kept in "
            "this browser and sent again automatically."
        ),
        "signed_out": _(
            "Your session has ended. Sign in again (in another tab, or reload this page "
            "and sign in): the marks are kept in this browser and sent once you are "
            "signed in."
        ),
        "not_stored": _(
            "This browser cannot keep unsaved marks (its storage is full or switched "
            "off): keep this page open until every mark says Saved."
        ),
        "http_refused": _(
            "The server refused this save (error %(status)s): enter the mark again or "
            "reload the page."
        ),
        "submit_blocked": _(
            "Marks for this unit are still waiting to be saved in this browser. Wait "
            "until every mark says Saved, then submit."
        ),
        "leave": _("Some marks are not saved yet. Leave the page anyway?"),
        "progress": _("%(done)s done, %(left)s left, %(submitted)s submitted."),
    }
