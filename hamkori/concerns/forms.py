"""Forms of the concern pages. They read and check input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hamkori.concerns.models import MAX_TEXT, AffectedGroup, Concern, Driver, Source, Status, TextLanguage
from hamkori.concerns.selectors import scope_districts, terms_for
from hamkori.concerns.services import MAX_LINKS
from hamkori.concerns.vocabulary import TERM_KINDS
from hamkori.core.models import Sensitivity
from hamkori.groups.models import WorkingGroup
from hamkori.people.forms import PlaceChoiceField
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: Fields whose value is a list (for re-showing a form from posted data).
MULTI = ("drivers", "affected_groups")


def _chosen(data: Any, initial: Any, name: str) -> str:
    value = data.get(name) if data is not None and name in data else initial.get(name)
    return str(getattr(value, "pk", value) or "")


def places_under(district: Place | None) -> Any:
    """The jamoats, towns and villages of ``district`` (none before a district is chosen)."""
    if district is None:
        return Place.objects.none()
    return Place.objects.filter(path__startswith=district.path).exclude(pk=district.pk).order_by("path")


def groups_of(user: Any, programme: Programme, district: Place | None, keep: int | None = None) -> Any:
    """The working groups of ``district`` the user sees (not closed; the current one kept)."""
    if district is None:
        return WorkingGroup.objects.none()
    return (
        WorkingGroup.objects.visible_to(user)
        .filter(programme=programme, district=district)
        .filter(~Q(status=WorkingGroup.Status.CLOSED) | Q(pk=keep))
        .order_by("name")
    )


def initial_from_post(data: Any) -> dict[str, Any]:
    """A form's posted values as ``initial`` (to show the form again without judging it yet)."""
    return {key: data.getlist(key) if key in MULTI else data.get(key) for key in data if not key.startswith("_")}


class LinksField(forms.CharField):
    """Web addresses, one per line (the service checks each)."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off"})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in str(text).splitlines() if line.strip()]

    def validate(self, value: Any) -> None:
        if len(value) > MAX_LINKS:
            raise forms.ValidationError(_("At most %(n)s links.") % {"n": MAX_LINKS})


class ConcernForm(forms.Form):
    """Record or edit a concern. The places and groups offered are those of the chosen district:
    choosing another district and pressing "Show its places" shows them (no JavaScript needed)."""

    description = forms.CharField(
        label=_("What is the concern?"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("In the words of the people who raised it, in any language. Name no one."),
    )
    language = forms.ChoiceField(label=_("Language of the description"), choices=TextLanguage.choices)
    district = forms.ModelChoiceField(label=_("District"), queryset=Place.objects.none())
    place = PlaceChoiceField(label=_("Jamoat or village"), queryset=Place.objects.none(), required=False)
    location_text = forms.CharField(label=_("Where, in words"), max_length=200, required=False)
    drivers = forms.ModelMultipleChoiceField(
        label=_("Drivers of insecurity"),
        queryset=Driver.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    affected_groups = forms.ModelMultipleChoiceField(
        label=_("Who is affected"),
        queryset=AffectedGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        choices=Sensitivity.choices,
        initial=Sensitivity.INTERNAL,
        help_text=_("Restricted: only the lead organisation and your organisation see it."),
    )
    evidence_links = LinksField(
        label=_("Links to evidence"),
        required=False,
        help_text=_("One web address per line (https://…): a news article, a photo, a report."),
    )
    restricted_notes = forms.CharField(
        label=_("Restricted notes"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen only by the lead organisation and the organisation that recorded the concern."),
    )
    group = forms.ModelChoiceField(label=_("Working group"), queryset=WorkingGroup.objects.none(), required=False)

    def __init__(
        self,
        *args: Any,
        programme: Programme,
        user: Any,
        may_restrict: bool,
        concern: Concern | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.programme, self.concern = programme, concern
        offered = scope_districts(programme, user)
        if concern is not None and concern.district_id not in {d.pk for d in offered}:
            offered.append(concern.district)  # a partner editing a concern of a district she no longer covers
        self.fields["district"].queryset = Place.objects.filter(pk__in=[d.pk for d in offered]).order_by("path")  # type: ignore[attr-defined]
        if len(offered) == 1 and not self.is_bound and not self.initial.get("district"):
            self.initial["district"] = offered[0].pk
        chosen = _chosen(self.data if self.is_bound else None, self.initial, "district")
        self.chosen_district: Place | None = next((d for d in offered if str(d.pk) == chosen), None)
        self.fields["place"].queryset = places_under(self.chosen_district)  # type: ignore[attr-defined]
        keep_group = concern.group_id if concern is not None else None
        self.fields["group"].queryset = groups_of(user, programme, self.chosen_district, keep_group)  # type: ignore[attr-defined]
        keep_drivers = [d.pk for d in concern.drivers.all()] if concern is not None else []
        keep_affected = [a.pk for a in concern.affected_groups.all()] if concern is not None else []
        self.fields["drivers"].queryset = terms_for(programme, Driver, keep_drivers)  # type: ignore[attr-defined]
        self.fields["affected_groups"].queryset = terms_for(programme, AffectedGroup, keep_affected)  # type: ignore[attr-defined]
        if not may_restrict:
            del self.fields["restricted_notes"]

    def service_values(self) -> dict[str, Any]:
        """The cleaned data as the services take it."""
        data = dict(self.cleaned_data)
        data["location_text"] = data.get("location_text") or ""
        return data


class TriageForm(forms.Form):
    drivers = forms.ModelMultipleChoiceField(
        label=_("Drivers of insecurity"),
        queryset=Driver.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one driver of insecurity.")},
    )
    affected_groups = forms.ModelMultipleChoiceField(
        label=_("Who is affected"),
        queryset=AffectedGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        choices=Sensitivity.choices,
        help_text=_("Restricted: only the lead organisation and the recording organisation see it."),
    )
    place = PlaceChoiceField(label=_("Jamoat or village"), queryset=Place.objects.none(), required=False)
    group = forms.ModelChoiceField(label=_("Working group"), queryset=WorkingGroup.objects.none(), required=False)
    note = forms.CharField(
        label=_("Note for the timeline"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, concern: Concern, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "drivers": [d.pk for d in concern.drivers.all()],
                "affected_groups": [a.pk for a in concern.affected_groups.all()],
                "sensitivity": concern.sensitivity,
                "place": concern.place_id,
                "group": concern.group_id,
            },
        )
        super().__init__(*args, **kwargs)
        programme = concern.programme
        self.fields["drivers"].queryset = terms_for(programme, Driver, kwargs["initial"].get("drivers", []))  # type: ignore[attr-defined]
        self.fields["affected_groups"].queryset = terms_for(  # type: ignore[attr-defined]
            programme, AffectedGroup, kwargs["initial"].get("affected_groups", [])
        )
        self.fields["place"].queryset = places_under(concern.district)  # type: ignore[attr-defined]
        self.fields["group"].queryset = groups_of(user, programme, concern.district, concern.group_id)  # type: ignore[attr-defined]


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it declined?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For the timeline. The person who reported it sees only that it was closed."),
    )


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(label=_("Why?"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    restricted = forms.BooleanField(
        label=_("Restricted: only the lead organisation and the recording organisation see this note"),
        required=False,
    )

    def __init__(self, *args: Any, may_restrict: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_restrict:
            del self.fields["restricted"]


class PublishForm(forms.Form):
    text = forms.CharField(
        label=_("What was done (public)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the person holding the receipt code and on the district's public page."),
    )
    do_no_harm_checked = forms.BooleanField(
        label=_("I checked: the note names no one and cannot identify anyone (do no harm)."),
        required=False,
    )


class MergeForm(forms.Form):
    #: The kept concern's id, carried by the suggestion the person chose (text: a hidden number field
    #: would be formatted by the locale, which the browser sends back unparsable).
    into = forms.RegexField(regex=r"^[1-9][0-9]{0,9}$", widget=forms.HiddenInput, max_length=10)
    note = forms.CharField(label=_("Note (optional)"), max_length=2000, required=False)
    confirm = forms.BooleanField(
        label=_("Both describe the same concern: merge them."),
        error_messages={"required": _("Tick the box to confirm the merge.")},
    )


class TermForm(forms.Form):
    """A driver, an affected group, a criterion or a registered kind of term (``kind``, a key of
    ``vocabulary.TERM_KINDS``). The code is given once, when adding."""

    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Lower-case letters, digits, - and _; never changes.")
    )
    name_tg = forms.CharField(label=_("Name (Tajik)"), max_length=200, required=False)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=100)
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=10, initial=1)
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, kind: str, adding: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        spec = TERM_KINDS[kind]
        if not adding:
            del self.fields["code"]
        else:
            del self.fields["active"]
        if "weight" not in spec.extra:
            del self.fields["weight"]
        for name in spec.extra:
            if name not in self.fields:  # a registered kind's own field (an event kind's category)
                self.fields[name] = spec.model._meta.get_field(name).formfield()
