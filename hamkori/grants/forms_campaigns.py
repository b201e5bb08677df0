"""Forms of the campaign pages: a product (with its picture or file), one distribution or performance (with the
people reached by sex × age band, the same grid as an event's tally) and the list's filters. They read and
check input; the services (``grants.campaigns``, ``grants.uploads``) decide and write.

What a form offers is already scoped: the grants the user may report on, her districts, the programme's
formats in use, the jamoats and villages of the product's district, the events of that district she can see.
A forged value (another programme's grant, a place outside the district) is refused by the choice field with
Django's translated "Select a valid choice", and the services check again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import decide
from hamkori.events.forms import TermChoice
from hamkori.events.models import Event, Status
from hamkori.events.selectors import offered_districts, places_under
from hamkori.events.uploads import limits
from hamkori.grants.campaigns import MAX_PEOPLE
from hamkori.grants.models import (
    MAX_TEXT,
    CampaignFormat,
    CampaignProduct,
    Channel,
    Grant,
    GrantStatus,
    Language,
    Reach,
)
from hamkori.grants.uploads import PRODUCT_EXTENSIONS
from hamkori.kit.forms import ISODateField
from hamkori.people.forms import PlaceChoiceField
from hamkori.people.models import AgeBand, Sex
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: The events offered to link a distribution to (the newest of the district).
MAX_EVENTS = 50
#: Posted cells read at most (the grid has twelve; more is a forged form).
MAX_CELLS = 40
#: A whole number typed on a phone's digit keyboard (as the grid's cells): no spinner, no jump on blur.
WHOLE_NUMBER = forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"})


def reportable_grants(user: Any, programme: Programme, keep: Grant | None = None) -> list[Grant]:
    """The programme's running grants ``user`` may record products for (``grant.report``: the lead
    organisation, or the partner organisation that supports the grant), and ``keep`` (a product's own)."""
    grants = (
        Grant.objects.visible_to(user)
        .filter(programme=programme)
        .filter(Q(status=GrantStatus.AGREED) | Q(pk=keep.pk if keep else None))
        .select_related("application", "district")
        .order_by("-created_at", "-id")
    )
    return [g for g in grants if (keep is not None and g.pk == keep.pk) or decide(user, "grant.report", g)]


class GrantChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} · {obj.application.title} ({obj.district.name})"


class ProductForm(forms.Form):
    """Record or change a product. With a grant it belongs to the grant's district (the district field is then
    ignored); without one, to the district chosen."""

    grant = GrantChoice(
        label=_("Grant"),
        queryset=Grant.objects.none(),
        required=False,
        empty_label=_("No grant"),
        help_text=_("The grant that paid for it. The product then belongs to the grant's district."),
    )
    district = PlaceChoiceField(
        label=_("District"),
        queryset=Place.objects.none(),
        required=False,
        help_text=_("Only for a product without a grant."),
    )
    format = TermChoice(label=_("Format"), queryset=CampaignFormat.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *Language.choices])
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_PEOPLE,
        initial=1,
        help_text=_("Copies printed, or 1 for a video, a play or a broadcast."),
        widget=WHOLE_NUMBER,
    )
    link = forms.CharField(
        label=_("Link"),
        max_length=200,
        required=False,
        help_text=_("Where it can be watched or read online, if it can."),
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("Description"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(
        label=_("Picture or file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ",".join("." + e for e in PRODUCT_EXTENSIONS)}),
    )
    remove_file = forms.BooleanField(label=_("Remove the picture or file"), required=False)

    def __init__(
        self,
        *args: Any,
        programme: Programme,
        user: Any,
        product: CampaignProduct | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.programme, self.user, self.product = programme, user, product
        self.grants = reportable_grants(user, programme, product.grant if product else None)
        self.fields["grant"].queryset = Grant.objects.filter(pk__in=[g.pk for g in self.grants]).select_related(  # type: ignore[attr-defined]
            "application", "district"
        )
        districts = offered_districts(programme, user)
        if product is not None and product.district_id not in {d.pk for d in districts}:
            districts.append(product.district)
        self.fields["district"].queryset = Place.objects.filter(pk__in=[d.pk for d in districts]).order_by("path")  # type: ignore[attr-defined]
        if len(districts) == 1 and not self.is_bound and not self.initial.get("district"):
            self.initial["district"] = districts[0].pk
        self.fields["format"].queryset = CampaignFormat.objects.filter(programme=programme).filter(  # type: ignore[attr-defined]
            Q(active=True) | Q(pk=product.format_id if product else None)
        )
        sizes = limits()
        self.fields["file"].help_text = _(
            "A photo of it (JPEG, PNG or WebP, at most %(image)s; location and camera data are removed) "
            "or the file itself as PDF (at most %(document)s)."
        ) % {"image": filesizeformat(sizes["image"]), "document": filesizeformat(sizes["document"])}
        if product is None or product.image_id is None:
            del self.fields["remove_file"]

    def service_values(self) -> dict[str, Any]:
        """The cleaned data as ``uploads.product_record`` takes it (the file is passed separately)."""
        data = self.cleaned_data
        return {
            "grant": data.get("grant"),
            "district": data.get("district"),
            "format": data.get("format"),
            "title": data.get("title") or "",
            "language": data.get("language") or "",
            "quantity": data.get("quantity") or 1,
            "link": data.get("link") or "",
            "description": data.get("description") or "",
            "remove_file": bool(data.get("remove_file")),
        }


def cell_name(sex: str, band: str) -> str:
    return f"c-{sex}-{band}"


class EventChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.starts_at:%Y-%m-%d} · {obj.title}"


class ReachForm(forms.Form):
    """One distribution or performance. The people reached are typed in a grid of cells named
    ``c-<sex>-<age band>`` (``cleaned_data["counts"]``: the raw values by (sex, age band), for the service to
    check); a posted cell of an unknown sex or age band is passed on too, so that it is refused, not dropped."""

    on = ISODateField(label=_("Date"))
    place = PlaceChoiceField(label=_("Place"), queryset=Place.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", "—"), *Channel.choices])
    event = EventChoice(
        label=_("At an event"),
        queryset=Event.objects.none(),
        required=False,
        empty_label=_("Not at an event"),
        help_text=_("When it was handed out or shown at an event of the district."),
    )
    copies = forms.IntegerField(
        label=_("Copies handed out"),
        min_value=0,
        max_value=MAX_PEOPLE,
        required=False,
        widget=WHOLE_NUMBER,
    )
    feedback = forms.CharField(
        label=_("Feedback"),
        max_length=MAX_TEXT,
        required=False,
        help_text=_("What people said, asked or did. No names."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, data: Any = None, *, product: CampaignProduct, user: Any, reach: Reach | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.product, self.reach = product, reach
        district = product.district
        self.fields["place"].queryset = Place.objects.filter(  # type: ignore[attr-defined]
            Q(pk=district.pk) | Q(pk__in=places_under(district).values("pk"))
        ).order_by("path")
        if not self.is_bound and not self.initial.get("place"):
            self.initial["place"] = district.pk
        visible = (
            Event.objects.visible_to(user)
            .filter(programme_id=product.programme_id, district=district)
            .exclude(status=Status.CANCELLED)
            .order_by("-starts_at")
            .values_list("pk", flat=True)
        )
        ids = list(visible[:MAX_EVENTS])
        if (
            reach is not None
            and reach.event_id
            and reach.event_id not in ids
            and Event.objects.visible_to(user).filter(pk=reach.event_id).exists()
        ):
            ids.append(reach.event_id)
        self.fields["event"].queryset = Event.objects.filter(pk__in=ids).order_by("-starts_at")  # type: ignore[attr-defined]
        #: A linked event the user cannot see is kept as it is (neither shown nor dropped).
        self.kept_event = reach.event if reach is not None and reach.event_id and reach.event_id not in ids else None

    @staticmethod
    def cells() -> Iterable[tuple[str, str]]:
        for band in AgeBand.values:
            for sex in Sex.values:
                yield (sex, band)

    def raw(self, key: str) -> str:
        return str(self.data.get(key, "")).strip()[:20]

    def posted_cells(self) -> dict[tuple[str, str], str]:
        """Every cell posted: the grid's, and any other ``c-...`` name (an unknown sex or age band)."""
        values = {(sex, band): self.raw(cell_name(sex, band)) for sex, band in self.cells()}
        extra = [k for k in self.data if k.startswith("c-") and k.count("-") >= 2][:MAX_CELLS]
        for key in extra:
            sex, _dash, band = key[2:].partition("-")
            values.setdefault((sex[:10], band[:10]), self.raw(key))
        return values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["counts"] = self.posted_cells()
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "on": data.get("on"),
            "place": data.get("place"),
            "channel": data.get("channel") or "",
            "event": data.get("event") or self.kept_event,
            "copies": data.get("copies") or 0,
            "feedback": data.get("feedback") or "",
            "counts": data["counts"],
        }


# --- The list's filters -----------------------------------------------------------------------------------
FILTERS = ("district", "format", "language")


@dataclass
class ListFilters:
    """The list's filters as asked (``params``, for links and the pager) and as understood."""

    params: dict[str, str] = field(default_factory=dict)
    district: Place | None = None
    format: CampaignFormat | None = None
    language: str = ""
    unknown: bool = False  # a value that matches nothing: the list is then empty


def read_filters(data: Any, districts: Sequence[Place], formats: Sequence[CampaignFormat]) -> ListFilters:
    params = {key: str(data.get(key, "")).strip()[:80] for key in FILTERS}
    found = ListFilters(params=params)
    if params["district"]:
        found.district = next((d for d in districts if d.code == params["district"]), None)
        found.unknown |= found.district is None
    if params["format"]:
        found.format = next((f for f in formats if f.code == params["format"]), None)
        found.unknown |= found.format is None
    if params["language"]:
        found.language = params["language"] if params["language"] in Language.values else ""
        found.unknown |= not found.language
    return found
