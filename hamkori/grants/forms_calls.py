"""Forms of the calls and applications pages (staff and public). They read and check input; the services
(``grants.calls``, ``grants.applications``) decide and write.

Rows of a variable number (a call's criteria, an application's budget lines) are plain numbered fields
(``criterion-0-name``, ``budget-0-item``) with a hidden count, so that a "More lines" submit button adds empty
rows without JavaScript. Dates use the kit's ISO inputs (a phone set to Tajik or Russian drops a date in the
locale's format and shows an empty field); the call's deadline is entered in the programme's time zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from hamkori.concerns.models import Concern
from hamkori.concerns.selectors import scope_districts, visible_concerns
from hamkori.concerns.services import programme_districts
from hamkori.events.selectors import places_under
from hamkori.events.services import local_datetime
from hamkori.grants.applications import MAX_LINES, Draft
from hamkori.grants.models import (
    MAX_TEXT,
    ApplicantKind,
    Application,
    CallStatus,
    CampaignFormat,
    GrantCall,
    Language,
)
from hamkori.kit.forms import ISODateField, ISOTimeField
from hamkori.orgs.models import Organisation
from hamkori.people.forms import PlaceChoiceField
from hamkori.places.models import Place
from hamkori.programmes.models import Currency, Programme
from hamkori.vault.services import PersonalData

#: Empty criteria rows a call form offers, and how many "More criteria" adds.
CRITERIA_SPARE = 2
MAX_CRITERIA = 20
#: Empty budget rows an application form offers beyond its lines, at least this many rows in all, and how many
#: "More lines" adds.
BUDGET_SPARE = 2
BUDGET_MIN = 4
BUDGET_MORE = 3
#: Concerns offered to link (the newest of the district; those already linked are kept).
MAX_CONCERNS = 30
#: A service's field -> the form's field.
CALL_FIELDS = {"deadline": "deadline_on"}
APPLICATION_FIELDS = {"full_name": "contact_name", "phone": "contact_phone"}
#: Errors of these service fields belong to a group of rows: shown above the rows and at the top.
ROW_ERRORS = ("criteria", "budget")

AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "class": "amount"}


def _row_count(values: Mapping[str, Any], existing: int, spare: int, minimum: int, most: int) -> int:
    """How many rows to draw: the count the form was drawn with (posted, or passed on as ``initial``), else
    the rows there are plus spare ones; never fewer than ``minimum`` nor more than ``most``."""
    try:
        drawn = int(str(values.get("rows") or "").strip())
    except ValueError:
        drawn = 0
    return max(minimum, min(drawn or existing + spare, most))


class RowsForm(forms.Form):
    """A form with numbered rows of fields (``<prefix>-<n>-<name>``)."""

    row_prefix = "row"
    row_fields: tuple[str, ...] = ()
    rows = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def add_rows(self, count: int) -> None:
        self.row_count = count
        self.initial["rows"] = count
        if self.is_bound:
            data = cast(Any, self.data).copy()
            data["rows"] = str(count)
            self.data = data
        for n in range(count):
            for name in self.row_fields:
                self.fields[f"{self.row_prefix}-{n}-{name}"] = self.row_field(name, n)
        self.row_errors: list[str] = []

    def row_field(self, name: str, n: int) -> forms.Field:
        raise NotImplementedError

    @property
    def row_list(self) -> list[list[forms.BoundField]]:
        """The rows' bound fields, row by row, for the template."""
        return [[self[f"{self.row_prefix}-{n}-{name}"] for name in self.row_fields] for n in range(self.row_count)]

    def row_values(self) -> list[tuple[Any, ...]]:
        data = self.cleaned_data
        return [
            tuple(data.get(f"{self.row_prefix}-{n}-{name}") or "" for name in self.row_fields)
            for n in range(self.row_count)
        ]

    def visible_fields(self) -> list[forms.BoundField]:
        return [f for f in super().visible_fields() if not f.name.startswith(f"{self.row_prefix}-")]


def service_errors(form: RowsForm, exc: ValidationError, renames: Mapping[str, str]) -> ValidationError:
    """A service's errors keyed by the form's fields; the rows' errors are kept for the rows and shown at the top."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        if field in ROW_ERRORS:
            form.row_errors.extend(messages)
            renamed.setdefault("__all__", []).extend(messages)
            continue
        key = renames.get(field, field)
        renamed.setdefault(key if key in form.fields else "__all__", []).extend(messages)
    return ValidationError(renamed)


def initial_from_post(data: Any, multi: Iterable[str]) -> dict[str, Any]:
    """Posted values as ``initial``: the form drawn again (more rows, the district's jamoats) without judging it."""
    lists = set(multi)
    return {key: data.getlist(key) if key in lists else data.get(key) for key in data if not key.startswith("_")}


class PlacesChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class TermsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name or obj.code


class ConcernsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.reference}: {Truncator(obj.description).chars(80)}"


# --- Calls -----------------------------------------------------------------------------------------------
class CallForm(RowsForm):
    """Create or change a call: its text, envelope, deadline (programme time), who and where may apply, and the
    weighted criteria reviewers score."""

    row_prefix = "criterion"
    row_fields = ("name", "weight", "guidance")

    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Published text"),
        required=False,
        max_length=MAX_TEXT,
        help_text=_("What the call funds, who may apply and how: applicants read it on the call's public page."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.TJS)
    envelope = forms.CharField(label=_("Envelope"), max_length=30, widget=forms.TextInput(attrs=AMOUNT_ATTRS))
    max_grant = forms.CharField(
        label=_("Largest grant"),
        max_length=30,
        required=False,
        help_text=_("Optional: no application may ask for more."),
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
    )
    deadline_on = ISODateField(label=_("Deadline"))
    deadline_time = ISOTimeField(label=_("Time of the deadline"), initial="17:00")
    districts = PlacesChoice(
        label=_("Eligible districts"), queryset=Place.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    applicant_kinds = forms.MultipleChoiceField(
        label=_("Eligible applicants"),
        choices=ApplicantKind.choices,
        required=False,
        help_text=_("None ticked: every kind of group or organisation may apply."),
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages of applications"), choices=Language.choices, widget=forms.CheckboxSelectMultiple
    )
    score_max = forms.IntegerField(
        label=_("Highest score per criterion"),
        min_value=1,
        max_value=100,
        initial=5,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    blind_review = forms.BooleanField(
        label=_("Hide applicants from reviewers"),
        required=False,
        help_text=_("Reviewers then see the proposal without the applicant's name or contact."),
    )
    public_applications = forms.BooleanField(
        label=_("Applicants may apply without an account"),
        required=False,
        initial=True,
        help_text=_("The call's public page then links to a form anyone with the address can fill in."),
    )

    def __init__(self, *args: Any, programme: Programme, criteria: int = 0, more: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["districts"].queryset = Place.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in programme_districts(programme)]
        ).order_by("path")
        values = self.data if self.is_bound else self.initial
        self.add_rows(min(_row_count(values, criteria, CRITERIA_SPARE, 3, MAX_CRITERIA) + more, MAX_CRITERIA))

    def row_field(self, name: str, n: int) -> forms.Field:
        if name == "name":
            return forms.CharField(label=_("Criterion"), max_length=200, required=False)
        if name == "weight":
            return forms.CharField(
                label=_("Weight"),
                max_length=3,
                required=False,
                initial="1",
                widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "weight"}),
            )
        return forms.CharField(
            label=_("Guidance for reviewers"),
            max_length=2000,
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
        )

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "text": data.get("text") or "",
            "currency": data["currency"],
            "envelope": data["envelope"],
            "max_grant": data.get("max_grant") or None,
            "deadline": local_datetime(self.programme, data["deadline_on"], data["deadline_time"]),
            "districts": list(data["districts"]),
            "applicant_kinds": list(data.get("applicant_kinds") or []),
            "languages": list(data.get("languages") or []),
            "score_max": data["score_max"],
            "blind_review": bool(data.get("blind_review")),
            "public_applications": bool(data.get("public_applications")),
            "criteria": [row for row in self.row_values() if str(row[0]).strip()],
        }


class CallStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CallStatus.choices)


# --- Applications ----------------------------------------------------------------------------------------
class ApplicationForm(RowsForm):
    """An application, entered by partner staff on a group's behalf or by the applicant through the public form.

    ``user`` is None for a public applicant: she is offered every district of the call and no concerns. A
    partner is offered the call's districts she works in. The jamoats and villages are those of the chosen
    district (the "Show" button draws them, without JavaScript)."""

    row_prefix = "budget"
    row_fields = ("item", "amount")
    MULTI = ("formats", "languages", "concerns")

    client_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    applicant_name = forms.CharField(
        label=_("Name of the group or organisation"),
        max_length=200,
        help_text=_("The group or organisation that will run the campaign."),
    )
    applicant_kind = forms.ChoiceField(label=_("Kind of applicant"))
    district = PlaceChoiceField(label=_("District"), queryset=Place.objects.none())
    place = PlaceChoiceField(label=_("Jamoat or village"), queryset=Place.objects.none(), required=False)
    title = forms.CharField(label=_("Title of the campaign"), max_length=200)
    summary = forms.CharField(
        label=_("What the campaign will do"),
        required=False,
        max_length=MAX_TEXT,
        help_text=_("The message, the activities, where and how often."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    audience = forms.CharField(
        label=_("Who it will reach"),
        required=False,
        max_length=MAX_TEXT,
        help_text=_("Who the campaign is for and about how many people."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    formats = TermsChoice(
        label=_("Formats"), queryset=CampaignFormat.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages of the campaign"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    concerns = ConcernsChoice(
        label=_("Concerns it addresses"),
        queryset=Concern.objects.none(),
        required=False,
        help_text=_("Optional: safety concerns raised in the district that the campaign answers."),
        widget=forms.CheckboxSelectMultiple,
    )
    starts_on = ISODateField(label=_("Starts"), required=False)
    ends_on = ISODateField(label=_("Ends"), required=False)
    contact_name = forms.CharField(
        label=_("Contact person"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    contact_consent = forms.BooleanField(
        label=_(
            "The contact person agrees that the programme keeps this name and phone number, sees them only "
            "among the staff who handle the application, and uses them only to contact them about it."
        ),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        call: GrantCall,
        user: Any,
        application: Application | None = None,
        more: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.call, self.user, self.application = call, user, application
        data = self.data if self.is_bound else None
        kinds = call.applicant_kinds or ApplicantKind.values
        self.fields["applicant_kind"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(value, label) for value, label in ApplicantKind.choices if value in kinds],
        ]
        # Where: the call's districts (a partner: those she works in), then the district's jamoats and villages.
        districts = list(call.districts.order_by("path"))
        if user is not None and not getattr(user, "is_superuser", False):
            mine = {p.pk for p in scope_districts(call.programme, user)}
            districts = [d for d in districts if d.pk in mine]
        if application is not None and application.district_id not in {d.pk for d in districts}:
            districts.append(application.district)
        self.districts = districts
        self.fields["district"].queryset = Place.objects.filter(pk__in=[d.pk for d in districts]).order_by("path")  # type: ignore[attr-defined]
        if len(districts) == 1 and not self.is_bound and not self.initial.get("district"):
            self.initial["district"] = districts[0].pk
        chosen = self._chosen(data, "district")
        self.chosen_district: Place | None = next((d for d in districts if str(d.pk) == chosen), None)
        self.fields["place"].queryset = places_under(self.chosen_district)  # type: ignore[attr-defined]
        # What: the programme's campaign formats in use (the application's own kept).
        kept_formats = [f.pk for f in application.formats.all()] if application is not None else []
        self.fields["formats"].queryset = CampaignFormat.objects.filter(programme=call.programme).filter(  # type: ignore[attr-defined]
            Q(active=True) | Q(pk__in=kept_formats)
        )
        # Concerns of the chosen district the user sees; none for a public applicant.
        if user is None:
            del self.fields["concerns"]
        else:
            kept = [c.pk for c in application.concerns.all()] if application is not None else []
            self.fields["concerns"].queryset = self._concerns(kept)  # type: ignore[attr-defined]
        lines = len(application.budget_lines.all()) if application is not None else 0
        values = self.data if self.is_bound else self.initial
        self.add_rows(min(_row_count(values, lines, BUDGET_SPARE, BUDGET_MIN, MAX_LINES) + more, MAX_LINES))
        self.has_contact = application is not None and application.contact_key is not None
        if self.has_contact:
            self.fields["contact_name"].help_text = _(
                "A contact person is recorded. Fill in these fields only to replace the name or the phone."
            )

    def _chosen(self, data: Any, name: str) -> str:
        value = data.get(name) if data is not None and name in data else self.initial.get(name)
        return str(getattr(value, "pk", value) or "")

    def _concerns(self, kept: list[int]) -> Any:
        if self.chosen_district is None:
            return Concern.objects.filter(pk__in=kept).order_by("-created_at")
        concerns = visible_concerns(self.user, self.call.programme).filter(district=self.chosen_district)
        newest = list(concerns.order_by("-created_at").values_list("pk", flat=True)[:MAX_CONCERNS])
        return Concern.objects.filter(pk__in=[*newest, *kept]).order_by("-created_at")

    def row_field(self, name: str, n: int) -> forms.Field:
        if name == "item":
            return forms.CharField(label=_("Budget item"), max_length=200, required=False)
        return forms.CharField(
            label=_("Amount"), max_length=30, required=False, widget=forms.TextInput(attrs=AMOUNT_ATTRS)
        )

    def clean_client_key(self) -> uuid.UUID:
        try:
            return uuid.UUID(str(self.cleaned_data["client_key"]))
        except ValueError:
            raise ValidationError(_("The form has expired: open it again.")) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        name, phone = (data.get("contact_name") or "").strip(), (data.get("contact_phone") or "").strip()
        if (name or phone) and not data.get("contact_consent"):
            self.add_error(
                "contact_consent",
                _("Tick the box to record that the contact person agrees, or leave the contact empty."),
            )
        elif name or phone:
            try:
                data["contact"] = PersonalData(full_name=name, phone=phone).validated()
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(APPLICATION_FIELDS.get(field), messages)
        return data

    def draft(self) -> Draft:
        """The cleaned data as the service takes it."""
        data = self.cleaned_data
        return Draft(
            applicant_name=data.get("applicant_name") or "",
            applicant_kind=data.get("applicant_kind") or "",
            district=data.get("district"),
            place=data.get("place"),
            title=data.get("title") or "",
            summary=data.get("summary") or "",
            audience=data.get("audience") or "",
            formats=list(data.get("formats") or []),
            languages=list(data.get("languages") or []),
            concerns=list(data.get("concerns") or []),
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            budget=[(item, amount) for item, amount in self.row_values()],
            contact=data.get("contact"),
        )


def application_initial(application: Application) -> dict[str, Any]:
    """An application's values as the form's ``initial``."""
    initial: dict[str, Any] = {
        "client_key": str(application.client_key),
        "applicant_name": application.applicant_name,
        "applicant_kind": application.applicant_kind,
        "district": application.district_id,
        "place": application.place_id,
        "title": application.title,
        "summary": application.summary,
        "audience": application.audience,
        "formats": [f.pk for f in application.formats.all()],
        "languages": list(application.languages),
        "concerns": [c.pk for c in application.concerns.all()],
        "starts_on": application.starts_on,
        "ends_on": application.ends_on,
    }
    lines = list(application.budget_lines.all())
    for n, line in enumerate(lines):
        initial[f"budget-{n}-item"] = line.item
        initial[f"budget-{n}-amount"] = line.amount
    return initial


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it withdrawn?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("Yes, withdraw this application."),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )


class TakeOnForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Supported by"), queryset=Organisation.objects.none(), empty_label=None)

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [programme.lead_organisation_id, *programme.partnerships.values_list("organisation_id", flat=True)]
        self.fields["owner"].queryset = Organisation.objects.filter(pk__in=ids).order_by("pk")  # type: ignore[attr-defined]
        self.initial.setdefault("owner", programme.lead_organisation_id)
