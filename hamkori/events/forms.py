"""Forms of the event pages. They read and check input; the services decide and write.

Dates and times are entered in the programme's time zone with the kit's ISO inputs (a phone's date and
time fields drop a value in the locale's format and show an empty field)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import role_in
from hamkori.concerns.models import Concern
from hamkori.concerns.selectors import visible_concerns
from hamkori.core.models import Sensitivity
from hamkori.core.roles import LEAD_ROLES
from hamkori.events import selectors
from hamkori.events.models import MAX_TEXT, Category, Event, EventKind, EventLanguage, Level, TrainingTopic
from hamkori.events.services import local_datetime
from hamkori.groups.models import WorkingGroup
from hamkori.kit.forms import ISODateField, ISOTimeField
from hamkori.orgs.models import Organisation
from hamkori.people.forms import PlaceChoiceField
from hamkori.people.models import Person
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: Fields whose value is a list (for re-showing a form from posted data).
MULTI = ("facilitators", "groups", "concerns", "topics")
#: Concerns offered to link (the newest open ones of the place; those already linked are kept).
MAX_CONCERNS = 30
#: The service's field names -> the form's (an error on ``ends_at`` belongs beside the end time).
SERVICE_FIELDS = {"starts_at": "starts_on", "ends_at": "ends_time", "place": "where", "district": "where"}


def initial_from_post(data: Any) -> dict[str, Any]:
    """A form's posted values as ``initial`` (to show the form again without judging it yet)."""
    return {key: data.getlist(key) if key in MULTI else data.get(key) for key in data if not key.startswith("_")}


def _chosen(data: Any, initial: Any, name: str) -> str:
    value = data.get(name) if data is not None and name in data else initial.get(name)
    return str(getattr(value, "pk", value) or "")


class TermChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name or obj.code


class TermsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name or obj.code


class ConcernsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.reference}: {Truncator(obj.description).chars(80)}"


class PeopleChoice(forms.ModelMultipleChoiceField):
    """People by their code (the value the person picker sends)."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.code


class EventForm(forms.Form):
    """Record or edit an event. The jamoats, villages, working groups and concerns offered are those of
    the chosen place, and the training fields follow the chosen kind: choosing another place or kind
    shows them (htmx, or the "Show" button without JavaScript, where the training fields are simply shown)."""

    kind = TermChoice(label=_("Kind of event"), queryset=EventKind.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices, initial=Level.DISTRICT)
    starts_on = ISODateField(label=_("Date"))
    starts_time = ISOTimeField(label=_("Starts at"))
    ends_time = ISOTimeField(label=_("Ends at"))
    ends_on = ISODateField(
        label=_("Ends on another day"), required=False, help_text=_("Only when the event lasts several days.")
    )
    where = PlaceChoiceField(label=_("District"), queryset=Place.objects.none())
    place = PlaceChoiceField(label=_("Jamoat or village"), queryset=Place.objects.none(), required=False)
    venue = forms.CharField(
        label=_("Venue"), max_length=200, required=False, help_text=_("The building or room, in words.")
    )
    language = forms.ChoiceField(label=_("Language of the event"), choices=EventLanguage.choices)
    organiser = forms.ModelChoiceField(label=_("Organised by"), queryset=Organisation.objects.none(), required=False)
    facilitators = PeopleChoice(
        label=_("Facilitators"),
        queryset=Person.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    facilitator = forms.CharField(max_length=40, required=False)
    groups = forms.ModelMultipleChoiceField(
        label=_("Working groups"),
        queryset=WorkingGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    concerns = ConcernsChoice(
        label=_("Concerns discussed"),
        queryset=Concern.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    topics = TermsChoice(
        label=_("Training topics"),
        queryset=TrainingTopic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    test_max_score = forms.IntegerField(
        label=_("Highest test score"),
        min_value=1,
        max_value=1000,
        required=False,
        help_text=_("The pre- and post-tests are scored from 0 to this number (100 when left empty)."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    agenda = forms.CharField(
        label=_("Agenda"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    minutes = forms.CharField(
        label=_("Minutes"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    decisions = forms.CharField(
        label=_("Decisions"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        choices=Sensitivity.choices,
        initial=Sensitivity.INTERNAL,
        help_text=_("Restricted: only the lead organisation and the organising organisation see it."),
    )

    def __init__(self, *args: Any, programme: Programme, user: Any, event: Event | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme, self.user, self.event = programme, user, event
        data = self.data if self.is_bound else None
        keep: dict[str, list[Any]] = {name: [] for name in MULTI}
        if event is not None:
            keep = {
                "facilitators": [p.pk for p in event.facilitators.all()],
                "groups": [g.pk for g in event.groups.all()],
                "concerns": [c.pk for c in event.concerns.all()],
                "topics": [t.pk for t in event.topics.all()],
            }
        # What: the programme's kinds in use (the event's own kept).
        kinds = EventKind.objects.filter(programme=programme).filter(
            Q(active=True) | Q(pk=event.kind_id if event else None)
        )
        self.fields["kind"].queryset = kinds  # type: ignore[attr-defined]
        chosen_kind = _chosen(data, self.initial, "kind")
        self.chosen_kind = next((k for k in kinds if str(k.pk) == chosen_kind), None)
        self.training_kinds = " ".join(str(k.pk) for k in kinds if k.category == Category.TRAINING)
        # Where: the user's districts, and for the lead organisation the regions and the country.
        districts = selectors.offered_districts(programme, user)
        if event is not None and event.district_id and event.district_id not in {d.pk for d in districts}:
            districts.append(event.district)  # type: ignore[arg-type]
        wider = selectors.wider_places(programme, user)
        if event is not None and event.district_id is None and event.place_id not in {p.pk for p in wider}:
            wider.append(event.place)
        self.fields["where"].queryset = Place.objects.filter(pk__in=[p.pk for p in [*districts, *wider]]).order_by(  # type: ignore[attr-defined]
            "depth", "path"
        )
        if wider:
            self.fields["where"].label = _("District, region or country")
        if len(districts) == 1 and not wider and not self.is_bound and not self.initial.get("where"):
            self.initial["where"] = districts[0].pk
        chosen = _chosen(data, self.initial, "where")
        self.chosen_district: Place | None = next((d for d in districts if str(d.pk) == chosen), None)
        self.fields["place"].queryset = selectors.places_under(self.chosen_district)  # type: ignore[attr-defined]
        # Who: the lead organisation chooses the organiser; a partner organises for her own organisation.
        self.lead = role_in(user, programme) in LEAD_ROLES or getattr(user, "is_superuser", False)
        if self.lead:
            org_ids = [
                programme.lead_organisation_id,
                *programme.partnerships.values_list("organisation_id", flat=True),
            ]
            if event is not None:
                org_ids.append(event.organiser_id)
            self.fields["organiser"].queryset = Organisation.objects.filter(pk__in=org_ids).order_by("pk")  # type: ignore[attr-defined]
            if not self.is_bound and not self.initial.get("organiser"):
                self.initial["organiser"] = programme.lead_organisation_id
        else:
            del self.fields["organiser"]
        self.fields["facilitators"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            programme=programme, merged_into__isnull=True
        ).filter(pk__in=self._kept_facilitators(data, keep["facilitators"]))
        groups = WorkingGroup.objects.visible_to(user).filter(programme=programme)
        if self.chosen_district is not None:
            groups = groups.filter(district=self.chosen_district)
        self.fields["groups"].queryset = (  # type: ignore[attr-defined]
            WorkingGroup.objects.filter(
                Q(pk__in=groups.exclude(status=WorkingGroup.Status.CLOSED).values("pk")) | Q(pk__in=keep["groups"])
            ).order_by("name")
        )
        self.fields["concerns"].queryset = self._concerns(keep["concerns"])  # type: ignore[attr-defined]
        self.fields["topics"].queryset = TrainingTopic.objects.filter(programme=programme).filter(  # type: ignore[attr-defined]
            Q(active=True) | Q(pk__in=keep["topics"])
        )

    def _kept_facilitators(self, data: Any, kept: list[int]) -> list[int]:
        """Facilitators offered as ticked boxes: the event's, those ticked or picked in the posted form."""
        codes: list[str] = []
        if data is not None:
            codes = [str(c).strip().upper()[:40] for c in data.getlist("facilitators")]
            if data.get("facilitator"):
                codes.append(str(data.get("facilitator")).strip().upper()[:40])
        elif self.initial.get("facilitators"):
            codes = [str(c).upper()[:40] for c in self.initial["facilitators"]]
        found = Person.objects.visible_to(self.user).filter(programme=self.programme, code__in=codes[:50])
        return [*kept, *found.values_list("pk", flat=True)]

    def _concerns(self, kept: list[int]) -> Any:
        concerns = visible_concerns(self.user, self.programme)
        if self.chosen_district is not None:
            concerns = concerns.filter(district=self.chosen_district)
        newest = list(concerns.order_by("-created_at").values_list("pk", flat=True)[:MAX_CONCERNS])
        return Concern.objects.filter(pk__in=[*newest, *kept]).order_by("-created_at")

    @property
    def shows_training(self) -> bool:
        """The topics and the test's scale: for a training, and whenever the kind is not chosen yet."""
        return self.chosen_kind is None or self.chosen_kind.category == Category.TRAINING

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        picked = (data.get("facilitator") or "").strip().upper()
        if picked:
            person = Person.objects.visible_to(self.user).filter(programme=self.programme, code=picked).first()
            if person is None:
                self.add_error("facilitator", _("Choose the facilitator from the search results."))
            elif person not in data.get("facilitators", []):
                data["facilitators"] = [*data.get("facilitators", []), person]
        return data

    def service_values(self) -> dict[str, Any]:
        """The cleaned data as ``event_create`` / ``event_update`` take it."""
        data = self.cleaned_data
        day, start, end = data["starts_on"], data["starts_time"], data["ends_time"]
        end_day: dt.date = data.get("ends_on") or day
        kind = data["kind"]
        training = kind is not None and kind.category == Category.TRAINING
        values: dict[str, Any] = {
            "kind": kind,
            "title": data["title"],
            "level": data["level"],
            "starts_at": local_datetime(self.programme, day, start),
            "ends_at": local_datetime(self.programme, end_day, end),
            "place": data.get("place") or data["where"],
            "venue": data.get("venue") or "",
            "language": data["language"],
            "facilitators": list(data.get("facilitators") or []),
            "groups": list(data.get("groups") or []),
            "concerns": list(data.get("concerns") or []),
            "topics": list(data.get("topics") or []) if training else [],
            "test_max_score": data.get("test_max_score") if training else None,
            "agenda": data.get("agenda") or "",
            "minutes": data.get("minutes") or "",
            "decisions": data.get("decisions") or "",
            "sensitivity": data["sensitivity"],
        }
        if "organiser" in self.fields and data.get("organiser") is not None:
            values["organiser"] = data["organiser"]
        return values


def service_errors(exc: ValidationError) -> ValidationError:
    """A service's errors keyed by the form's fields (``ends_at`` -> ``ends_time``, ``place`` -> ``where``)."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        renamed.setdefault(SERVICE_FIELDS.get(field, field), []).extend(messages)
    return ValidationError(renamed)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label=_("Yes, cancel this event."),
        error_messages={"required": _("Tick the box to confirm the cancellation.")},
    )
