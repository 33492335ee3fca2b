"""The step-by-step guides, one topic a screen, written for this portal in both languages.

Each topic's `key_points` are the guides' boxed text (the WJEC guides' "INFO" boxes and
capitalised warnings). The same sentences show in the topic's box on its screen (the
`guide_box` tag) and at the top of its guide page, so the two never say different things.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Topic:
    slug: str
    title: Promise
    summary: Promise
    key_points: tuple[Promise, ...]

    @property
    def template(self) -> str:
        return f"guides/topics/{self.slug}.html"


TOPICS: tuple[Topic, ...] = (
    Topic(
        slug="sign-in",
        title=_("Signing in"),
        summary=_("Your e-mail address, your password and a code from your phone."),
        key_points=(
            _("Every sign-in needs a 6-digit code from your authenticator app."),
            _(
                "After 20 minutes without activity you are signed out to keep "
                "candidates' data safe; nothing you saved is lost."
            ),
        ),
    ),
    Topic(
        slug="marks",
        title=_("Entering marks"),
        summary=_("Type marks straight into the marksheet; each one saves itself."),
        key_points=(
            _(
                "Please remember to submit the marks/outcomes you have entered by "
                "clicking the SUBMIT MARKS/OUTCOMES button."
            ),
            _(
                "Once marks/outcomes have been submitted they cannot be altered online: "
                "use the mark change request form."
            ),
        ),
    ),
    Topic(
        slug="samples",
        title=_("Samples"),
        summary=_("Which candidates' work the moderator needs, and why."),
        key_points=(
            _(
                "You cannot remove candidates chosen by the system; you can add "
                "candidates."
            ),
            _(
                "If a sampled candidate's work is lost or incomplete, add the nearest "
                "candidate above or below and write a note to the moderator."
            ),
        ),
    ),
    Topic(
        slug="uploads",
        title=_("Uploading work"),
        summary=_("Send each sampled candidate's work to the moderator."),
        key_points=(
            _("Upload work only once marks are submitted and the sample is ready."),
            _(
                "Any type of file is accepted, up to 1 GB each. A wrong file can be "
                "deleted until the date shown beside it: by default 14 days after the "
                "marks were first submitted."
            ),
        ),
    ),
    Topic(
        slug="reports",
        title=_("Reports and moderation"),
        summary=_(
            "Print the candidate details, read clerical corrections and "
            "moderator reports."
        ),
        key_points=(
            _(
                "A mark shown in red beside yours was changed by the moderator as a "
                "clerical correction, and replaces your mark."
            ),
            _("Moderator reports can be read from results day."),
        ),
    ),
    Topic(
        slug="centre-users",
        title=_("Centre users"),
        summary=_("Invite staff and choose what each of them can reach."),
        key_points=(
            _(
                "Admin accounts can reach every area. User accounts reach only the "
                "areas you grant them."
            ),
            _("An invitation link works once and expires after 7 days."),
        ),
    ),
    Topic(
        slug="exams-officer",
        title=_("Your centre and a change of exams officer"),
        summary=_(
            "Keep the centre's details right and hand over to a new exams officer."
        ),
        key_points=(
            _(
                "A change of exams officer must be signed off by the Head of Centre or "
                "a member of the Senior Leadership Team."
            ),
        ),
    ),
    Topic(
        slug="training",
        title=_("Staff training"),
        summary=_("Training, self-assessment and the assessment for each role."),
        key_points=(
            _(
                "Each section has three steps: the training, the self-assessment and "
                "the assessment."
            ),
            _(
                "Questions answered wrongly are asked again until every one is right; "
                "then the certificate is yours to download."
            ),
        ),
    ),
)

_BY_SLUG = {topic.slug: topic for topic in TOPICS}


def topic_get(slug: str) -> Topic:
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise Http404 from None
