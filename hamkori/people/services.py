"""Every write to people and consents: keyword-only, atomic, audited. Names and contacts go to the
personal-data vault; the Person row holds only the pseudonymous profile."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from hamkori.access.policy import enforce, grant_in
from hamkori.core import audit
from hamkori.core.models import Sensitivity
from hamkori.core.roles import Role
from hamkori.core.text import name_key, name_tokens
from hamkori.people.merging import run_merge_steps
from hamkori.people.models import AgeBand, Consent, Language, Person, Sector, Sex, band_for_age
from hamkori.people.selectors import personal_data_for
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData, vault_erase, vault_put, vault_search

PROFILE_FIELDS = ["sex", "birth_year", "age_band", "place", "languages", "sensitivity"]
MIN_AGE, MAX_AGE = 10, 110
#: A consent given when a person is registered: ``(purpose, given_on, method, language)``, for
#: example ``(Consent.Purpose.PARTICIPATION, date(2024, 5, 1), "verbal", "tg")``.
ConsentGiven = tuple[str, dt.date, str, str]
#: Withdrawing consent for these purposes de-identifies the person (their vault record is erased).
DEIDENTIFYING_PURPOSES = {Consent.Purpose.PARTICIPATION, Consent.Purpose.CONTACT}


def programme_places(programme: Programme) -> list[Place]:
    return [loc.place for loc in programme.locations.select_related("place")]


def place_in_programme(programme: Programme, place: Place) -> bool:
    return any(place.path.startswith(p.path) for p in programme_places(programme))


def place_in_scope(actor: Any, programme: Programme, place: Place) -> bool:
    """Whether ``actor`` may record things at ``place`` (partners: only in their districts)."""
    if getattr(actor, "is_superuser", False):
        return True
    grant = grant_in(actor, programme)
    if grant is None:
        return actor is None
    if grant.whole_programme:
        return True
    return any(place.path.startswith(p) for p in grant.place_paths)


def validate_profile(
    *,
    programme: Programme,
    sex: str,
    place: Place | None,
    birth_year: int | None,
    age_band: str | None,
    languages: Iterable[str],
    sectors: Iterable[Sector],
    today: dt.date | None = None,
) -> str:
    """Check a profile; return the age band (derived from the year of birth when given)."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if sex not in Sex.values:
        errors["sex"] = [_("Choose female or male.")]
    if place is None or not place_in_programme(programme, place):
        errors["place"] = [_("Choose a place inside the programme's locations.")]
    if birth_year is not None:
        age = today.year - int(birth_year)
        if not MIN_AGE <= age <= MAX_AGE:
            errors["birth_year"] = [
                _("A year of birth of %(year)s gives an impossible age (%(age)s).") % {"year": birth_year, "age": age}
            ]
        else:
            derived = band_for_age(age)
            if age_band and age_band != derived:
                errors["age_band"] = [_("The age band does not match the year of birth.")]
            age_band = derived
    if not age_band:
        errors.setdefault("age_band", [_("Give an age band or a year of birth.")])
    elif age_band not in AgeBand.values:
        errors["age_band"] = [_("Unknown age band.")]
    bad_languages = [code for code in languages if code not in Language.values]
    if bad_languages:
        errors["languages"] = [_("Unknown language: %(codes)s.") % {"codes": ", ".join(bad_languages)}]
    inactive = [s.code for s in sectors if not s.active]
    if inactive:
        errors["sectors"] = [_("Sector no longer in use: %(codes)s.") % {"codes": ", ".join(inactive)}]
    if errors:
        raise ValidationError(errors)
    return age_band or ""


def _next_code(programme: Programme) -> str:
    Programme.objects.select_for_update().filter(pk=programme.pk).first()  # serialise code allocation
    last = Person.objects.filter(programme=programme).aggregate(m=Max("code"))["m"]
    number = int(last.split("-")[-1]) + 1 if last else 1
    return f"P-{number:06d}"


def _owner_for(actor: Any, programme: Programme, owner: Any) -> Any:
    """Partners always record on behalf of their own organisation, whatever a form says."""
    grant = grant_in(actor, programme) if actor is not None else None
    if grant is not None and grant.role == Role.PARTNER:
        from hamkori.orgs.models import Organisation

        return Organisation.objects.filter(pk=grant.organisation_id or 0).first()
    return owner


@transaction.atomic
def person_create(
    *,
    actor: Any,
    programme: Programme,
    sex: str,
    place: Place,
    age_band: str | None = None,
    birth_year: int | None = None,
    sectors: Sequence[Sector] = (),
    languages: Sequence[str] = (),
    personal: PersonalData | None = None,
    owner: Any = None,
    sensitivity: str = Sensitivity.INTERNAL,
    consents: Iterable[ConsentGiven] = (),
) -> Person:
    """Record a person (their name and contacts in the vault) and the ``consents`` they gave, each
    ``(purpose, given_on, method, language)``: all or nothing."""
    band = validate_profile(
        programme=programme,
        sex=sex,
        place=place,
        birth_year=birth_year,
        age_band=age_band,
        languages=languages,
        sectors=sectors,
    )
    if actor is not None and not place_in_scope(actor, programme, place):
        raise ValidationError({"place": [_("You can only record people in your own districts.")]})
    if sensitivity not in Sensitivity.values:
        raise ValidationError({"sensitivity": [_("Unknown sensitivity.")]})
    if personal is not None:
        personal = personal.validated()
    person = Person.objects.create(
        programme=programme,
        code=_next_code(programme),
        sex=sex,
        birth_year=birth_year,
        age_band=band,
        place=place,
        languages=list(dict.fromkeys(languages)),
        owner=_owner_for(actor, programme, owner),
        sensitivity=sensitivity,
    )
    person.sectors.set(sectors)
    if personal is not None and any([personal.full_name, personal.phone, personal.email, personal.address]):
        vault_put(actor=actor, subject_key=person.vault_key, data=personal, programme_id=programme.pk)
    audit.record(
        actor=actor,
        action="person.create",
        obj=person,
        summary={"place": place.code, "sectors": sorted(s.code for s in sectors)},
    )
    for purpose, given_on, method, language in consents:
        _consent_create(
            actor=actor, person=person, purpose=purpose, given_on=given_on, method=method, language=language
        )
    return person


@transaction.atomic
def person_update(*, actor: Any, person: Person, sectors: Sequence[Sector] | None = None, **values: Any) -> Person:
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    enforce(actor, "person.change", person)
    before = audit.snapshot(person, PROFILE_FIELDS)
    merged = {**before, **values}
    if "birth_year" in values and "age_band" not in values and values["birth_year"] is not None:
        merged["age_band"] = None
    band = validate_profile(
        programme=person.programme,
        sex=merged["sex"],
        place=merged["place"],
        birth_year=merged["birth_year"],
        age_band=merged["age_band"],
        languages=merged["languages"],
        sectors=sectors if sectors is not None else [],
    )
    if "place" in values and actor is not None and not place_in_scope(actor, person.programme, values["place"]):
        raise ValidationError({"place": [_("You can only record people in your own districts.")]})
    for key in PROFILE_FIELDS:
        setattr(person, key, merged[key])
    person.age_band = band
    changes = audit.diff(person, PROFILE_FIELDS, before)
    person.save()
    if sectors is not None and (changed := audit.sync_m2m(person.sectors, sectors, key=lambda s: s.code)):
        changes["sectors"] = changed
    if changes:
        audit.record(actor=actor, action="person.update", obj=person, summary=changes)
    return person


@transaction.atomic
def person_set_personal_data(*, actor: Any, person: Person, data: PersonalData) -> None:
    enforce(actor, "person.change", person)
    if person.deidentified_at is not None:
        raise ValidationError(_("This person withdrew consent: their personal data cannot be stored again."))
    vault_put(actor=actor, subject_key=person.vault_key, data=data, programme_id=person.programme_id)


@transaction.atomic
def consent_record(
    *, actor: Any, person: Person, purpose: str, given_on: dt.date, method: str, language: str
) -> Consent:
    enforce(actor, "person.change", person)
    return _consent_create(
        actor=actor, person=person, purpose=purpose, given_on=given_on, method=method, language=language
    )


def _consent_create(
    *, actor: Any, person: Person, purpose: str, given_on: dt.date, method: str, language: str
) -> Consent:
    """Check and record one consent (the caller has checked the actor's permission)."""
    errors: dict[str, list[str]] = {}
    if purpose not in Consent.Purpose.values:
        errors["purpose"] = [_("Unknown purpose.")]
    if method not in Consent.Method.values:
        errors["method"] = [_("Unknown method.")]
    if language not in Language.values:
        errors["language"] = [_("Unknown language.")]
    if given_on > timezone.localdate():
        errors["given_on"] = [_("Consent cannot be given in the future.")]
    if person.consents.filter(purpose=purpose, withdrawn_on__isnull=True).exists():
        errors["purpose"] = [_("Consent for this purpose is already recorded.")]
    if errors:
        raise ValidationError(errors)
    consent = Consent.objects.create(
        person=person,
        purpose=purpose,
        given_on=given_on,
        method=method,
        language=language,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(actor=actor, action="consent.give", obj=person, summary={"purpose": purpose, "method": method})
    return consent


@transaction.atomic
def consent_withdraw(*, actor: Any, consent: Consent, on: dt.date | None = None) -> None:
    """Withdraw a consent. For participation or contact, the person is de-identified: their vault
    record is erased; the pseudonymous profile (sex, age band, place, memberships) stays for counts."""
    enforce(actor, "person.change", consent.person)
    if consent.withdrawn_on is not None:
        return
    consent.withdrawn_on = on or timezone.localdate()
    consent.save(update_fields=["withdrawn_on"])
    person = consent.person
    erased = False
    if consent.purpose in DEIDENTIFYING_PURPOSES:
        erased = vault_erase(actor=actor, subject_key=person.vault_key)
        person.deidentified_at = timezone.now()
        person.account = None  # the account's email would name the person again
        person.save(update_fields=["deidentified_at", "account"])
    audit.record(
        actor=actor,
        action="consent.withdraw",
        obj=person,
        summary={
            "purpose": consent.purpose,
            "deidentified": consent.purpose in DEIDENTIFYING_PURPOSES,
            "erased": erased,
        },
    )


# --- Duplicates and merging --------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    person: Person
    full_name: str
    score: int


def person_find_duplicates(
    *,
    actor: Any,
    programme: Programme,
    full_name: str,
    exclude: Person | None = None,
    limit: int = 5,
    threshold: int = 80,
) -> list[Candidate]:
    """People in ``programme`` (that ``actor`` may see) whose name is likely the same, across
    Cyrillic and Latin spellings: blind-index candidates, then a fuzzy comparison of the names'
    Latin skeletons. Reading the candidates' names is audited."""
    tokens = name_tokens(full_name)
    if not tokens:
        return []
    keys: set[Any] = set()
    for token in tokens[:4]:
        keys |= vault_search(token, programme_id=programme.pk)
    if not keys:
        return []
    people = Person.objects.visible_to(actor).filter(programme=programme, vault_key__in=keys, merged_into__isnull=True)
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    nearest = list(people[:200])
    names = personal_data_for(actor, nearest, "duplicate check")
    wanted = name_key(full_name)
    found = []
    for person in nearest:
        data = names.get(person.pk)
        if data is None or not data.full_name:
            continue
        score = int(fuzz.token_sort_ratio(wanted, name_key(data.full_name)))
        if score >= threshold:
            found.append(Candidate(person=person, full_name=data.full_name, score=score))
    return sorted(found, key=lambda c: (-c.score, c.person.code))[:limit]


@transaction.atomic
def person_merge(*, actor: Any, keep: Person, drop: Person) -> Person:
    """Merge ``drop`` into ``keep``: consents and sectors move to ``keep``, and so do the records
    other apps hold (memberships, ...) through their registered merge steps
    (:mod:`hamkori.people.merging`); ``drop`` stays as a de-identified pointer so that old links
    still resolve."""
    enforce(actor, "person.merge", keep)
    if keep.pk == drop.pk or keep.programme_id != drop.programme_id:
        raise ValidationError(_("Choose two different people of the same programme."))
    if drop.merged_into_id is not None or keep.merged_into_id is not None:
        raise ValidationError(_("One of these records was already merged."))
    contributed = run_merge_steps(actor=actor, keep=keep, drop=drop)
    live = set(keep.consents.filter(withdrawn_on__isnull=True).values_list("purpose", flat=True))
    for consent in drop.consents.all():
        if consent.withdrawn_on is None and consent.purpose in live:
            continue
        consent.person = keep
        consent.save(update_fields=["person"])
    keep.sectors.add(*drop.sectors.all())
    keep.languages = list(dict.fromkeys([*keep.languages, *drop.languages]))
    keep.save(update_fields=["languages"])
    vault_erase(actor=actor, subject_key=drop.vault_key)
    account = drop.account
    drop.merged_into = keep
    drop.deidentified_at = timezone.now()
    drop.account = None
    drop.save(update_fields=["merged_into", "deidentified_at", "account"])
    if account is not None and keep.account_id is None:
        keep.account = account
        keep.save(update_fields=["account"])
    audit.record(actor=actor, action="person.merge", obj=keep, summary={"merged": drop.code, **contributed})
    return keep


@transaction.atomic
def person_link_account(*, actor: Any, person: Person, account: Any) -> Person:
    """Link ``person`` to the sign-in account of a working-group member (or unlink: ``account=None``).
    The account then sees the groups where the person is a current member. Lead organisation only."""
    from hamkori.accounts.models import RoleAssignment

    enforce(actor, "person.link_account", person)
    if account is not None:
        if person.deidentified_at is not None or person.merged_into_id is not None:
            raise ValidationError(_("This record was de-identified or merged: it cannot be linked to an account."))
        is_member = RoleAssignment.objects.filter(
            user=account, programme_id=person.programme_id, role=Role.GROUP_MEMBER, revoked_at__isnull=True
        ).exists()
        if not is_member or not account.is_active:
            raise ValidationError(
                {"email": [_("No active account with this email address is a working-group member in this programme.")]}
            )
        other = Person.objects.filter(programme_id=person.programme_id, account=account).exclude(pk=person.pk).first()
        if other is not None:
            raise ValidationError({"email": [_("This account is already linked to %(code)s.") % {"code": other.code}]})
    previous = person.account_id
    if previous == (account.pk if account is not None else None):
        return person
    person.account = account
    person.save(update_fields=["account", "updated_at"])
    audit.record(
        actor=actor,
        action="person.link_account",
        obj=person,
        summary={"account": account.pk if account is not None else None, "previous": previous},
    )
    return person


@transaction.atomic
def sector_create(*, actor: Any, code: str, name_tg: str, name_ru: str, name_en: str) -> Sector:
    code = code.strip().lower()
    if Sector.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("A sector with this code already exists.")]})
    if not (name_tg or name_ru or name_en):
        raise ValidationError({"name_en": [_("Give the sector a name in at least one language.")]})
    order = (Sector.objects.aggregate(m=Max("order"))["m"] or 0) + 10
    sector = Sector.objects.create(code=code, name_tg=name_tg, name_ru=name_ru, name_en=name_en, order=order)
    audit.record(actor=actor, action="sector.create", obj=sector, summary={"code": code})
    return sector
