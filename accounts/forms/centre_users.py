"""Forms for Centre Users: filter, invite, manage access. They validate and normalise only."""

from __future__ import annotations

from typing import Any, cast

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import authenticate
from django.forms.boundfield import BoundWidget
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from centres.models import AccessGrant, Membership
from iamis.models import Qualification, Unit

from ..models import User
from ..selectors import iamis_qualification_choices, iamis_unit_choices

Area = AccessGrant.Area
AccountType = Membership.AccountType

# The guide's wording for each account type an admin can invite (an exams officer changes
# through the change-of-exams-officer request instead).
ACCOUNT_TYPE_DESCRIPTIONS: dict[str, Promise] = {
    AccountType.ADMIN: _(
        "Admin accounts have the same access as examination officer accounts. It "
        "allows you to make entries, see results, invite new users etc. We recommend "
        "this type of account for examination office teams."
    ),
    AccountType.USER: _(
        "User accounts will be able to view resources, OERs, and do not have the same "
        "access as examination officers. We recommend this type of account for "
        "teachers. Additional access can be granted to these accounts."
    ),
}

# The guide's order and descriptions on the Manage access page.
AREA_DESCRIPTIONS: dict[str, Promise] = {
    Area.ACCESS_ARRANGEMENTS: _(
        "Grants access to the JCQ Centre Admin Portal, for management of transfer "
        "candidates, access arrangements and modified papers requests."
    ),
    Area.ENTRIES_RESULTS: _(
        "Grants access to various pages displaying candidates' entries and results "
        "information. For example - Candidate Results Slips, Component Marks, Centre "
        "Performance Analysis etc."
    ),
    Area.IAMIS: _(
        "Grants access to users Internal Assessment Mark Input screens. Users will be "
        "able to input and submit centre marks for internal assessments and view "
        "moderator reports."
    ),
    Area.RESOURCES: _("Grants access to WJEC Resources."),
    Area.VIEW_SCRIPTS: _(
        "Grants access to the view candidate scripts after Results. Scripts should "
        "only be accessed with candidate permission."
    ),
    Area.TRAINING: _(
        "Grants access to the training assessments for invigilators and centre staff."
    ),
}


class CentreUserFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Filter users"),
        help_text=_("Part of a name or e-mail address."),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class InviteUserForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    language = forms.ChoiceField(
        label=_("Language preference"),
        choices=User.Language.choices,
        initial=User.Language.ENGLISH,
    )
    account_type = forms.ChoiceField(
        label=_("Account type"),
        choices=[
            (AccountType.ADMIN, AccountType.ADMIN.label),
            (AccountType.USER, AccountType.USER.label),
        ],
        initial=AccountType.USER,
        widget=forms.RadioSelect,
    )

    staff_roles = forms.MultipleChoiceField(
        label=_("Centre role for staff training"),
        help_text=_(
            "For invigilators and other centre staff: a role gives the Invigilator "
            "training access and the assessments for that role."
        ),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Offered only once the address turns out to have an invite waiting.
    replace_pending = forms.BooleanField(
        label=_("Replace the waiting invite with these details"),
        help_text=_("Its link stops working and a new invite is sent."),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from training.models import StaffRole

        field = cast(forms.MultipleChoiceField, self.fields["staff_roles"])
        field.choices = list(StaffRole.objects.values_list("code", "name"))

    def account_type_options(self) -> list[tuple[BoundWidget, Promise]]:
        return [
            (radio, ACCOUNT_TYPE_DESCRIPTIONS[radio.data["value"]])
            for radio in self["account_type"]
        ]


class PasswordConfirmationForm(forms.Form):
    """A change an admin confirms with their own password, checked as at sign-in."""

    password = forms.CharField(
        label=_("Your current password"),
        help_text=_("You are asked for your password again to confirm this."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        # Through django-axes, as at sign-in, so this prompt cannot be used to guess the
        # admin's password: failures count towards the same lockout. The lock is checked
        # first with the address under both keys axes may read (its username field is
        # the model's USERNAME_FIELD, "email"; our AXES_USERNAME_CALLABLE reads "username").
        password: str = self.cleaned_data["password"]
        user = self.request.user
        email = getattr(user, "email", "")
        if not AxesProxyHandler.is_allowed(
            self.request, {"username": email, "email": email}
        ):
            raise forms.ValidationError(
                _("Too many wrong passwords have been entered. Try again later."),
                code="locked_out",
            )
        confirmed = authenticate(self.request, username=email, password=password)
        if confirmed is None or confirmed.pk != user.pk:
            raise forms.ValidationError(
                _("Your password is not right. Enter your current password."),
                code="password_incorrect",
            )
        return password


class UnitChoiceField(forms.ModelMultipleChoiceField[Unit]):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.title}"


class MemberAccessForm(PasswordConfirmationForm):
    """A User account's areas and IAMIS limit, confirmed with the admin's own password."""

    field_order = ["areas", "iamis_qualifications", "iamis_units", "password"]

    areas = forms.MultipleChoiceField(
        label=_("Access"),
        choices=[(area, Area(area).label) for area in AREA_DESCRIPTIONS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    iamis_qualifications = forms.ModelMultipleChoiceField(
        label=_("IAMIS qualifications"),
        queryset=Qualification.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    iamis_units = UnitChoiceField(
        label=_("IAMIS units"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args: Any, request: HttpRequest, membership: Membership, **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "areas": [grant.area for grant in membership.grants.all()],
                "iamis_qualifications": list(membership.iamis_qualifications.all()),
                "iamis_units": list(membership.iamis_units.all()),
            },
        )
        super().__init__(*args, request=request, **kwargs)
        self.fields["password"].help_text = _(
            "You are asked for your password again before access is changed."
        )
        centre = membership.centre
        qualifications = cast(
            forms.ModelMultipleChoiceField[Qualification],
            self.fields["iamis_qualifications"],
        )
        units = cast(forms.ModelMultipleChoiceField[Unit], self.fields["iamis_units"])
        qualifications.queryset = iamis_qualification_choices(
            centre=centre, membership=membership
        )
        units.queryset = iamis_unit_choices(centre=centre, membership=membership)

    def area_options(self) -> list[tuple[BoundWidget, Promise]]:
        return [
            (checkbox, AREA_DESCRIPTIONS[checkbox.data["value"]])
            for checkbox in self["areas"]
        ]
