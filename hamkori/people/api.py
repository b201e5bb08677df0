"""People: pseudonymous profiles, and names and contacts for those allowed to see them.

Lists start from ``Person.objects.visible_to``; single records come through ``get_for_user``
(out of scope answers 404); refusals of ``decide`` answer 403 with the reason; a service's
``ValidationError`` answers 422 with ``errors: {field: [message]}``, in the API's one error format
(``hamkori.core.api_errors``).

No ``from __future__ import annotations`` here: django-ninja reads the annotations of the
wrapped views, and string annotations would be resolved in the wrapping decorator's module.
"""

from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from hamkori.access.policy import decide, deny, get_for_user
from hamkori.core.api_errors import MAX_ID, MAX_OFFSET, api_errors, responses
from hamkori.core.models import Sensitivity
from hamkori.people.models import AgeBand, Language, Person, Sector, Sex
from hamkori.people.selectors import filter_people, personal_data_of
from hamkori.people.services import person_create, person_set_personal_data, person_update
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData

router = Router(tags=["people"])

MAX_PAGE = 500
#: Why the API reads the vault (the audit event of each read names it).
VAULT_PURPOSE = "api"


class Seen:
    """``obj`` as a response schema sees it, plus ``extra`` attributes (for example the personal
    data decided for this request). The schemas' resolvers read it like the model instance."""

    def __init__(self, obj: Any, **extra: Any) -> None:
        self._obj = obj
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


def require_decision(user: Any, action: str, obj: Any) -> None:
    """``decide``, and on refusal an audited 403 with the reason."""
    decision = decide(user, action, obj)
    if not decision:
        deny(user, action, obj, decision.reason)


def place_by_code(code: str, field: str) -> Place:
    place = Place.objects.filter(code=code).first()
    if place is None:
        raise ValidationError({field: [_("Unknown place: %(code)s.") % {"code": code}]})
    return place


def sectors_by_code(codes: list[str], field: str = "sectors") -> list[Sector]:
    wanted = list(dict.fromkeys(codes))
    found = {s.code: s for s in Sector.objects.filter(code__in=wanted)}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise ValidationError({field: [_("Unknown sector: %(codes)s.") % {"codes": ", ".join(unknown)}]})
    return [found[c] for c in wanted]


# --- Schemas -------------------------------------------------------------------------------------
class PersonalDataSchema(Schema):
    full_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


class PersonOut(Schema):
    """The pseudonymous profile: nothing here names the person."""

    id: int
    code: str
    programme: str
    sex: str
    age_band: str
    birth_year: int | None
    place: str
    sectors: list[str]
    languages: list[str]
    recorded_by: str | None
    sensitivity: str
    deidentified: bool

    @staticmethod
    def resolve_programme(obj: Person) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_place(obj: Person) -> str:
        return obj.place.code

    @staticmethod
    def resolve_sectors(obj: Person) -> list[str]:
        return [s.code for s in obj.sectors.all()]

    @staticmethod
    def resolve_recorded_by(obj: Person) -> str | None:
        return obj.owner.name if obj.owner_id and obj.owner else None

    @staticmethod
    def resolve_deidentified(obj: Person) -> bool:
        return obj.deidentified_at is not None


class PersonDetailOut(PersonOut):
    merged_into: str | None
    personal: PersonalDataSchema | None = None

    @staticmethod
    def resolve_merged_into(obj: Person) -> str | None:
        return obj.merged_into.code if obj.merged_into_id and obj.merged_into else None


class PersonIn(Schema):
    programme: str
    sex: Sex
    place: str
    age_band: AgeBand | None = None
    birth_year: int | None = None
    sectors: list[str] = []
    languages: list[Language] = []
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    personal: PersonalDataSchema | None = None


class PersonPatch(Schema):
    """Profile fields only. Anything else sent (owner, programme, code, vault_key, ...) is ignored."""

    sex: Sex | None = None
    birth_year: int | None = None
    age_band: AgeBand | None = None
    place: str | None = None
    sectors: list[str] | None = None
    languages: list[Language] | None = None
    sensitivity: Sensitivity | None = None
    personal: PersonalDataSchema | None = None


def _people(people: QuerySet[Person]) -> QuerySet[Person]:
    return people.select_related("programme", "place", "owner", "merged_into").prefetch_related(
        Prefetch("sectors", queryset=Sector.objects.only("code", "order"))
    )


def _detail(user: Any, person: Person) -> Seen:
    """The profile, with names and contacts only when ``person.view_personal_data`` allows
    (read from the vault, audited with the purpose); ``personal`` is null otherwise."""
    person = _people(Person.objects.all()).get(pk=person.pk)
    return Seen(person, personal=personal_data_of(user, person, VAULT_PURPOSE))


def _personal(data: PersonalDataSchema) -> PersonalData:
    return PersonalData(full_name=data.full_name, phone=data.phone, email=data.email, address=data.address)


class Page(LimitOffsetPagination):
    """``limit`` (1 to 500) rows from ``offset``: bounded integers, out of range answers 422."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


#: A record's id in a path (a bigint: larger answers 422, never a database error).
RecordId = Path(..., ge=1, le=MAX_ID)


# --- Endpoints -----------------------------------------------------------------------------------
@router.get("/", response=responses({200: list[PersonOut]}))
@paginate(Page, max_limit=MAX_PAGE)
@api_errors
def list_people(
    request: HttpRequest,
    programme: str,
    district: str = "",
    sector: str = "",
    sex: Sex | None = None,
    group: int | None = None,
    q: str = "",
) -> QuerySet[Person]:
    """People of a programme that you may see (merged records left out), by code.

    Filter by a place (``district``: a place code; everything under it counts), a sector code,
    ``sex``, a working group id, or ``q``: a person's exact code or words of their name. A name
    only matches people whose names you may see; searches are audited (without the query)."""
    user = request.user
    prog = get_for_user(user, Programme, code=programme)
    require_decision(user, "person.view", prog)
    visible = Person.objects.visible_to(user).filter(programme=prog, merged_into__isnull=True)
    filters = {"district": district, "sector": sector, "sex": sex or "", "group": group, "q": q}
    return filter_people(
        actor=user, programme=prog, queryset=_people(visible), filters=filters, today=timezone.localdate()
    )


@router.get("/{int:person_id}", response=responses({200: PersonDetailOut}))
@api_errors
def get_person(request: HttpRequest, person_id: int = RecordId) -> Seen:
    """One person; ``personal`` (name and contacts) only for the lead organisation and the
    organisation that recorded the person, otherwise null."""
    person = get_for_user(request.user, Person, pk=person_id)
    return _detail(request.user, person)


@router.post("/", response=responses({201: PersonDetailOut}))
@api_errors
def create_person(request: HttpRequest, payload: PersonIn) -> Status[Seen]:
    """Record a person in a programme (admin, staff, partners in their own districts). Partners
    always record on behalf of their own organisation."""
    user = request.user
    prog = get_for_user(user, Programme, code=payload.programme)
    require_decision(user, "person.create", prog)
    place = place_by_code(payload.place, "place")
    sectors = sectors_by_code(payload.sectors)
    person = person_create(
        actor=user,
        programme=prog,
        sex=payload.sex,
        place=place,
        age_band=payload.age_band or None,
        birth_year=payload.birth_year,
        sectors=sectors,
        languages=payload.languages,
        personal=_personal(payload.personal) if payload.personal else None,
        sensitivity=payload.sensitivity,
    )
    return Status(201, _detail(user, person))


NOT_NULL = ("sex", "place", "sectors", "languages", "sensitivity")


@router.patch("/{int:person_id}", response=responses({200: PersonDetailOut}))
@api_errors
def update_person(request: HttpRequest, payload: PersonPatch, person_id: int = RecordId) -> Seen:
    """Change a person's profile, and (if you may see them) their name and contacts. Only the
    fields sent change; all or nothing."""
    user = request.user
    person = get_for_user(user, Person, "change", pk=person_id)
    values = payload.dict(exclude_unset=True)
    for key in NOT_NULL:
        if key in values and values[key] is None:
            del values[key]
    personal = values.pop("personal", None)
    if personal is not None:
        require_decision(user, "person.view_personal_data", person)
    if person.merged_into_id:
        raise ValidationError(_("This record was merged into another one: change that one instead."))
    with transaction.atomic():
        sector_codes = values.pop("sectors", None)
        sectors = sectors_by_code(sector_codes) if sector_codes is not None else None
        if "place" in values:
            values["place"] = place_by_code(values["place"], "place")
        if values or sectors is not None:
            person_update(actor=user, person=person, sectors=sectors, **values)
        if personal is not None:
            # Only the fields sent change: the others keep what the vault holds.
            current = personal_data_of(user, person, VAULT_PURPOSE)
            data = replace(current or PersonalData(), **personal)
            person_set_personal_data(actor=user, person=person, data=data)
    return _detail(user, person)
