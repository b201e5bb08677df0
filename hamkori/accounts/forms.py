from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hamkori.core.roles import Role
from hamkori.orgs.models import Organisation
from hamkori.places.forms import PlaceMultipleChoiceField
from hamkori.places.models import Place
from hamkori.programmes.models import Programme


class RoleForm(forms.Form):
    """Role, organisation and districts for one user in one programme. Only these fields exist:
    anything else posted (is_superuser, another programme, ...) is ignored."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    organisation = forms.ModelChoiceField(label=_("On behalf of"), queryset=Organisation.objects.none(), required=False)
    places = PlaceMultipleChoiceField(
        label=_("Districts"),
        queryset=Place.objects.none(),
        required=False,
        help_text=_("For partners, working-group members and liaisons: the districts they may see."),
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        org_ids = {programme.lead_organisation_id}
        org_ids |= set(programme.donors.values_list("pk", flat=True))
        org_ids |= set(programme.partnerships.values_list("organisation_id", flat=True))
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            Q(pk__in=org_ids) | Q(kind__in=[Organisation.Kind.POLICE, Organisation.Kind.AUTHORITY])
        )
        self.fields["places"].queryset = Place.objects.filter(  # type: ignore[attr-defined]
            pk__in=programme.locations.values("place_id")
        )


class InviteForm(RoleForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    display_name = forms.CharField(label=_("Name shown to colleagues"), max_length=120, required=False)
    preferred_language = forms.ChoiceField(
        label=_("Language"),
        choices=[("tg", "Тоҷикӣ"), ("ru", "Русский"), ("en", "English")],
        initial="tg",
        help_text=_("The invitation and the pages it opens are in this language."),
    )
    field_order = ["email", "display_name", "preferred_language", "role", "organisation", "places"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The invitation is written in this language; by default the one the administrator works in.
        current = get_language() or ""
        if current in dict(self.fields["preferred_language"].choices):  # type: ignore[attr-defined]
            self.fields["preferred_language"].initial = current


class LockForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=200, required=False, help_text=_("For example: phone lost or seized.")
    )


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            try:
                validate_password(data["password1"], self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("What the token is for, e.g. “KoboToolbox import”.")
    )
