"""Who may use each URL: the declaration the access matrix is checked against.

Every URL pattern is named in `ROUTES` (the back office's patterns by one rule for the
`admin` namespace). A new URL fails `tests/test_access_matrix.py` until it is declared
here with its policy, and so does a declared name that no longer resolves.

How to read it:

- `POLICIES` says, for each policy and each of the nine roles, what the role gets before
  the view looks at any object: `OK` (the view runs), `LOGIN` (a redirect to a sign-in
  page), or the refusal status (403, 404). Refusals never depend on the object, so a
  refused role gets the same answer for its own centre's object, another centre's and a
  missing one.
- A role that gets `OK` receives the route's `get`/`post` status for its own object, and
  404 for the other centre's object (never 403: the object's existence is not revealed).
  `None` means the view does not take the method: 405, for every role when the method
  is checked before anyone is signed in (the usual decorator order), otherwise only for
  the roles the policy lets through.
- "Own" is Alice's centre for the centre's people and the allocated moderator's (centre,
  unit); "foreign" is Charlie's centre. The objects are made in tests/access_world.py.
- A few cells differ from the rule for a reason the view states; they are listed in the
  route's `cells` with that reason beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    HALF_SIGNED_IN = "half-signed-in"  # password accepted, no authenticator code yet
    TEACHER = "teacher"  # User account with the IAMIS grant
    TEACHER_NO_IAMIS = "teacher-no-iamis"  # User account without it
    ADMIN = "admin"  # Admin account
    EXAMS_OFFICER = "exams-officer"
    MODERATOR = "moderator"  # allocated to Alice's centre and unit
    MODERATOR_UNALLOCATED = "moderator-unallocated"  # allocated elsewhere only
    BOARD = "board"  # board staff (Django admin)


ROLES = tuple(Role)


class Policy(Enum):
    PUBLIC = "anyone"
    SIGNED_OUT = "the first sign-in step: signed-in people are sent on"
    SIGN_IN_PENDING = "a sign-in in progress (after the e-mail or password step)"
    SIGNED_IN = "anyone signed in (login_required)"
    CENTRE_ADMIN = "the exams officer or an Admin account of the active centre"
    IAMIS = "a centre member with the IAMIS grant (admins have every grant)"
    TRAINING = "a centre member with the training grant (admins have every grant)"
    MODERATORS = "any moderator (the list of their allocations)"
    MODERATOR = "a moderator, on a (centre, unit) allocated to them"
    BOARD = "board staff (the Django admin at /board/)"


OK = "ok"
LOGIN = "login"  # 302 to the portal's sign-in (or the back office's, which goes there)

_ = OK
# fmt: off
#                          anonymous half   teacher t-no-I admin  EO     mod    mod-x  board
POLICIES: dict[Policy, tuple[str | int, ...]] = {
    Policy.PUBLIC:          (_,     _,     _,     _,     _,     _,     _,     _,     _),
    Policy.SIGNED_OUT:      (_,     _,     302,   302,   302,   302,   302,   302,   302),
    Policy.SIGN_IN_PENDING: (LOGIN, _,     LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    Policy.SIGNED_IN:       (LOGIN, LOGIN, _,     _,     _,     _,     _,     _,     _),
    Policy.CENTRE_ADMIN:    (LOGIN, LOGIN, 403,   403,   _,     _,     403,   403,   403),
    Policy.IAMIS:           (LOGIN, LOGIN, _,     403,   _,     _,     403,   403,   403),
    Policy.TRAINING:        (LOGIN, LOGIN, 403,   403,   _,     _,     403,   403,   403),
    Policy.MODERATORS:      (LOGIN, LOGIN, 403,   403,   403,   403,   _,     _,     403),
    Policy.MODERATOR:       (LOGIN, LOGIN, 404,   404,   404,   404,   _,     404,   404),
    Policy.BOARD:           (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, _),
}
# fmt: on
del _

# People without a centre (moderators, board staff) get 403 from centre pages: the
# "no centre" page. Moderators who are not allocated, and everyone who is not a
# moderator, get 404 from an allocation's pages: the same as a missing allocation.

# Personal training progress belongs to the exams officer in the matrix's world; the
# Admin colleague has not started the assessment, so its pages are 404 to them.
PROGRESS_OWNER = Role.EXAMS_OFFICER


@dataclass(frozen=True)
class Route:
    policy: Policy
    get: int | str | None = None
    post: int | str | None = None
    # False where login_required wraps the method check (refused roles are sent to sign
    # in whatever the method).
    method_checked_first: bool = True
    # The object is the progress owner's own, not the centre's.
    personal: bool = False
    # The view does its work and then sends the person to sign in (sign-out): that
    # redirect is not a refusal, so the walk does not expect the database unchanged.
    login_is_success: bool = False
    cells: Mapping[tuple[Role, str], int | str] = field(default_factory=dict)


P = Policy
ROUTES: dict[str, Route] = {
    # --- Portal shell --------------------------------------------------------------
    # Moderators and board staff have no centre: home shows them their own links.
    "portal:home": Route(P.SIGNED_IN, get=200),
    "portal:manage_centre": Route(P.CENTRE_ADMIN, get=200, post=200),
    # The change-of-exams-officer form needs no account; its status page is reached by
    # the request's unguessable id and shows no centre details.
    "portal:eo_change_public": Route(P.PUBLIC, get=200, post=200),
    "portal:eo_change_status": Route(P.PUBLIC, get=200),
    ":set_language": Route(P.PUBLIC, post=302),
    # The step-by-step guide: open to anyone, including people who cannot sign in.
    "guides:index": Route(P.PUBLIC, get=200),
    "guides:topic": Route(P.PUBLIC, get=200),
    # --- Sign-in, reset, invites ---------------------------------------------------
    "accounts:sign_in": Route(P.SIGNED_OUT, get=200, post=200),
    "accounts:sign_in_password": Route(P.SIGN_IN_PENDING, get=200, post=200),
    "accounts:sign_in_code": Route(P.SIGN_IN_PENDING, get=200, post=200),
    # Enrolment is for a pending sign-in without an authenticator; the matrix's has
    # one, so it is sent back to the first step like everyone else.
    "accounts:enrol": Route(
        P.SIGN_IN_PENDING,
        get=200,
        post=200,
        cells={
            (Role.HALF_SIGNED_IN, "get"): LOGIN,
            (Role.HALF_SIGNED_IN, "post"): LOGIN,
        },
    ),
    # Shown once after enrolment; with no fresh codes in the session it goes home.
    "accounts:recovery_codes": Route(P.SIGNED_IN, get=302, method_checked_first=False),
    # Signing out works for anyone (nobody signed in: nothing happens) and ends the
    # person's sessions on every device before sending them to sign in.
    "accounts:sign_out": Route(P.PUBLIC, post=LOGIN, login_is_success=True),
    "accounts:choose_centre": Route(P.SIGNED_IN, get=200, post=200),
    # The token is not a real one: an invite link that matches nothing is a 404.
    "accounts:invite_accept": Route(P.PUBLIC, get=404, post=404),
    "accounts:password_reset": Route(P.PUBLIC, get=200, post=200),
    "accounts:password_reset_done": Route(P.PUBLIC, get=200),
    # A link that does not check out shows the "link not valid" page.
    "accounts:password_reset_confirm": Route(P.PUBLIC, get=200, post=200),
    "accounts:password_reset_complete": Route(P.PUBLIC, get=200),
    # --- Centre Users ---------------------------------------------------------------
    "accounts:centre_users": Route(P.CENTRE_ADMIN, get=200),
    "accounts:invite_user": Route(P.CENTRE_ADMIN, get=200, post=200),
    "accounts:invite_resend": Route(P.CENTRE_ADMIN, post=302),
    # Revoke and remove ask for the admin's password: an empty post shows the page again.
    "accounts:invite_revoke": Route(P.CENTRE_ADMIN, get=200, post=200),
    "accounts:member_access": Route(P.CENTRE_ADMIN, get=200, post=200),
    "accounts:member_remove": Route(P.CENTRE_ADMIN, get=200, post=200),
    "accounts:centre_audit": Route(P.CENTRE_ADMIN, get=200),
    # --- Your profile (any signed-in person, about themselves only) -------------------
    "accounts:profile": Route(P.SIGNED_IN, get=200, post=200),
    "accounts:password_change": Route(P.SIGNED_IN, get=200, post=200),
    # An empty post switches the reminders off (an unticked box) and goes back.
    "accounts:reminders": Route(P.SIGNED_IN, post=302),
    "accounts:replace_authenticator": Route(P.SIGNED_IN, get=200, post=200),
    # --- IAMIS ------------------------------------------------------------------------
    "iamis:index": Route(P.IAMIS, get=200),
    "iamis:dashboard": Route(P.IAMIS, get=200),
    # An empty save changes nothing and goes back to the sheet.
    "iamis:marksheet": Route(P.IAMIS, get=200, post=302),
    # Without htmx the inline cell goes back to the sheet.
    "iamis:mark_cell": Route(P.IAMIS, get=302, post=302),
    # Alice's sheet is complete: a POST submits it (rolled back after the request).
    "iamis:submit": Route(P.IAMIS, get=200, post=302),
    "iamis:submitted": Route(P.IAMIS, get=200),
    "iamis:moderator_details": Route(P.IAMIS, get=200),
    "iamis:print": Route(P.IAMIS, get=200),
    "iamis:paste": Route(P.IAMIS, get=200, post=200),
    "iamis:export_csv": Route(P.IAMIS, get=200),
    "iamis:candidate_detail": Route(P.IAMIS, get=200),
    "iamis:change_request_new": Route(P.IAMIS, get=200, post=200),
    "iamis:change_requests": Route(P.IAMIS, get=200),
    "iamis:change_request_detail": Route(P.IAMIS, get=200),
    # --- Samples and uploads (the sheet is not sampled: changes go back with a message)
    "sampling:samples": Route(P.IAMIS, get=200),
    "sampling:member_add": Route(P.IAMIS, post=302),
    "sampling:member_remove": Route(P.IAMIS, post=302),
    "sampling:substitute": Route(P.IAMIS, get=200, post=200),
    # The upload protocol answers JSON; an empty request is a 400.
    "uploads:upload_start": Route(P.IAMIS, post=400),
    "uploads:upload": Route(P.IAMIS, get=200, post=400),
    "uploads:upload_parts": Route(P.IAMIS, post=400),
    "uploads:upload_complete": Route(P.IAMIS, post=400),
    # A file list answers htmx; asked for as a page it goes to View samples.
    "uploads:candidate_files": Route(P.IAMIS, get=302),
    "uploads:group_files": Route(P.IAMIS, get=302),
    "uploads:note_files": Route(P.IAMIS, get=302),
    "uploads:file_download": Route(P.IAMIS, get=200),
    "uploads:file_delete": Route(P.IAMIS, get=200, post=302),
    # --- Reports --------------------------------------------------------------------
    "moderation_centre:centre_report": Route(P.IAMIS, get=200),
    "reports:centre_moderator_report_pdf": Route(P.IAMIS, post=302),
    "reports:index": Route(P.IAMIS, get=200),
    "reports:candidate_details": Route(P.IAMIS, get=200),
    "reports:pdf_request": Route(P.IAMIS, post=302),
    "reports:render": Route(P.IAMIS, get=200),
    "reports:render_download": Route(P.IAMIS, get=200),
    # --- Moderation -----------------------------------------------------------------
    "moderation:allocations": Route(P.MODERATORS, get=200),
    "moderation:workspace": Route(P.MODERATOR, get=200),
    "moderation:marks": Route(P.MODERATOR, get=200),
    "moderation:file_download": Route(P.MODERATOR, get=200),
    "moderation:sample_zip": Route(P.MODERATOR, get=200),
    # An empty correction is refused with the form's error.
    "moderation:correction": Route(P.MODERATOR, get=200, post=400),
    "moderation:further_sample": Route(P.MODERATOR, post=302),
    # The world's results day has come and its report is published: read-only.
    "moderation:report": Route(P.MODERATOR, get=200, post=400),
    "moderation:moderate": Route(P.MODERATOR, get=200, post=302),
    # A row for the browser's save queue (htmx): asked for as a page, it sends the
    # moderator to the page.
    "moderation:moderate_cell": Route(P.MODERATOR, get=302, post=302),
    # A fragment for htmx: asked for as a page it sends the moderator to the page.
    "moderation:outcome_panel": Route(P.MODERATOR, get=302),
    # The world's sheet already has a proposal waiting: a second is refused.
    "moderation:propose": Route(P.MODERATOR, post=400),
    # --- The board's console ---------------------------------------------------------
    "console:index": Route(P.BOARD, get=200),
    # A POST naming neither approve nor send back is refused with the page's error.
    "console:outcome": Route(P.BOARD, get=200, post=400),
    "console:change_request": Route(P.BOARD, get=200, post=400),
    "reports:moderator_report_pdf": Route(P.MODERATOR, post=302),
    "reports:moderator_render": Route(P.MODERATOR, get=200),
    "reports:moderator_render_download": Route(P.MODERATOR, get=200),
    # --- Training -------------------------------------------------------------------
    "training:assessments": Route(P.TRAINING, get=200),
    # Anyone signed in may read and accept the terms; an empty POST did not tick the box.
    "training:terms": Route(P.SIGNED_IN, get=200, post=400),
    "training:sections": Route(
        P.TRAINING,
        get=200,
        post=200,
        # The Admin has not accepted the declaration: an empty POST is its error.
        cells={(Role.ADMIN, "post"): 400},
    ),
    "training:section": Route(P.TRAINING, get=200, personal=True),
    "training:training_step": Route(P.TRAINING, get=200, post=302, personal=True),
    # Step 2 waits for step 1; a POST naming no statement is a 404.
    "training:self_assessment": Route(P.TRAINING, get=302, post=404, personal=True),
    "training:self_assessment_record": Route(P.TRAINING, get=200, personal=True),
    # Step 3 waits for steps 1 and 2.
    "training:questions": Route(P.TRAINING, get=302, post=302, personal=True),
    "training:question": Route(P.TRAINING, get=302, post=302, personal=True),
    "training:result": Route(P.TRAINING, get=200, post=302, personal=True),
    # Exams officers and Admins see every certificate of their centre.
    "training:certificate": Route(P.TRAINING, get=200),
    "training:certificate_download": Route(P.TRAINING, get=200),
    "training:staff": Route(P.CENTRE_ADMIN, get=200),
    "training:staff_member": Route(P.CENTRE_ADMIN, get=200, post=302),
    "training:staff_attempt": Route(P.CENTRE_ADMIN, get=200),
}
del P

# The back office: every pattern of the `admin` namespace is board staff only. Its
# sign-in page is the one exception: it sends the signed-out to the portal's sign-in,
# refuses everyone else signed in (sending them to sign in would bring them straight
# back) and sends board staff on to the back office.
ADMIN_NAMESPACE = "admin"
ADMIN_ROUTE = Route(Policy.BOARD, get=200, post=200, method_checked_first=False)
ADMIN_EXCEPTIONS = {
    "admin:login": Route(
        Policy.PUBLIC,
        get=LOGIN,
        post=LOGIN,
        cells={
            (role, method): 302 if role is Role.BOARD else 403
            for role in ROLES
            if role not in (Role.ANONYMOUS, Role.HALF_SIGNED_IN)
            for method in ("get", "post")
        },
    )
}
# Models whose back-office pages refuse additions (rows come from the portal's own
# flows, or are append-only): board staff get 403 from their add page.
ADMIN_NO_ADD = frozenset(
    {
        "portal.examsofficerchange",
        "iamis.markchangerequest",
        "uploads.evidencefile",
        "uploads.uploadsession",
        "moderation.clericalcorrection",
        "moderation.moderatorreport",
        "moderation.moderationoutcome",
        "reports.reportrender",
        "portal.retentionrun",
        "outbox.message",
        "training.progress",
        "training.certificate",
        "audit.auditevent",
        "axes.accessattempt",
        "axes.accesslog",
        "axes.accessfailurelog",
    }
)


def route_for(name: str, routes: Mapping[str, Route] = ROUTES) -> Route | None:
    """The declared route of a pattern named "namespace:name"."""
    if name in routes:
        return routes[name]
    if name in ADMIN_EXCEPTIONS:
        return ADMIN_EXCEPTIONS[name]
    if name.split(":", 1)[0] == ADMIN_NAMESPACE:
        return ADMIN_ROUTE
    return None


def expected(route: Route, role: Role, method: str, *, foreign: bool) -> int | str:
    """The status (or LOGIN) `role` must get from `route` for `method`."""
    if (role, method) in route.cells and not foreign:
        return route.cells[(role, method)]
    allowed = getattr(route, method)
    gate = POLICIES[route.policy][ROLES.index(role)]
    if allowed is None and (route.method_checked_first or gate == OK):
        return 405
    if gate != OK:
        return gate
    if foreign:
        return 404
    if route.personal and role is not PROGRESS_OWNER:
        return 404
    return allowed


def is_refusal(status: int | str) -> bool:
    return status in (LOGIN, 403, 404, 405)
