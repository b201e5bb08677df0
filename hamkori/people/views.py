from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, get_for_user, require
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.groups.services import membership_add
from hamkori.kit.pages import errors_to_form, form_then_service, is_htmx, querystring, render_page
from hamkori.people import services
from hamkori.people.forms import (
    AccountLinkForm,
    ConsentForm,
    MergeForm,
    PersonalDataForm,
    PersonCreateForm,
    ProfileForm,
)
from hamkori.people.models import Consent, Person, Sector, Sex
from hamkori.people.selectors import PEOPLE_FILTERS, filter_people
from hamkori.places.models import Place
from hamkori.programmes.views_access import ProgrammeRequest, programme_view
from hamkori.vault.services import PersonalData, vault_get, vault_get_many

PAGE_SIZE = 50


def _person(request: ProgrammeRequest, pk: int, action: str = "view") -> Person:
    return get_for_user(request.user, Person, action, pk=pk, programme=request.programme)


MAX_GROUP_CHOICES = 100


def group_choices(user: Any, programme: Any, filters: dict[str, str]) -> list[WorkingGroup] | None:
    """Groups for the list's group filter: those of the chosen district, or all when there are few;
    None when there are too many to list (choose a district first)."""
    groups = WorkingGroup.objects.visible_to(user).filter(programme=programme).order_by("name").only("pk", "name")
    if filters.get("district"):
        groups = groups.filter(
            district__path__startswith=Place.objects.filter(code=filters["district"]).values("path")[:1]
        )
    choices = list(groups[: MAX_GROUP_CHOICES + 1])
    return None if len(choices) > MAX_GROUP_CHOICES else choices


def names_for(user: Any, people: list[Person], purpose: str) -> dict[int, str]:
    """Full names of the people ``user`` may see names of: one vault read, one audit event."""
    allowed = [p for p in people if p.deidentified_at is None and decide(user, "person.view_personal_data", p)]
    if not allowed:
        return {}
    data = vault_get_many(actor=user, subject_keys=[p.vault_key for p in allowed], purpose=purpose)
    return {p.pk: data[p.vault_key].full_name for p in allowed if p.vault_key in data}


@programme_view(action="person.view")
def person_list(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    people = (
        Person.objects.visible_to(request.user)
        .filter(programme=programme, merged_into__isnull=True)
        .select_related("place")
        .prefetch_related(
            "sectors",
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(left_on__isnull=True).select_related("group"),
                to_attr="current_memberships",
            ),
        )
    )
    filters = {k: request.GET.get(k, "").strip()[:100] for k in PEOPLE_FILTERS}
    matching = filter_people(
        actor=request.user, programme=programme, queryset=people, filters=filters, today=timezone.localdate()
    )
    page = Paginator(matching.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    context = {
        "page": page,
        "rows": rows,
        "names": names_for(request.user, rows, "list people"),
        "filters": filters,
        "districts": [loc.place for loc in programme.locations.select_related("place")],
        "sectors": Sector.objects.filter(active=True),
        "sexes": Sex.choices,
        "groups": group_choices(request.user, programme, filters),
        "querystring": querystring(filters),
    }
    return render_page(request, "people/list.html", context, partial="rows")


@programme_view(action="person.view")
def person_duplicates(request: ProgrammeRequest) -> HttpResponse:
    """htmx: likely duplicates of the name being typed."""
    name = request.GET.get("full_name", "").strip()[:200]
    candidates = (
        services.person_find_duplicates(actor=request.user, programme=request.programme, full_name=name)
        if len(name) >= 3
        else []
    )
    return render(request, "people/_duplicates.html", {"candidates": candidates})


@programme_view(action="person.create")
def person_create(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    require(request.user, "person.create", programme)
    group = None
    group_id = request.GET.get("group") or request.POST.get("group")
    if group_id and str(group_id).isdigit():
        group = get_for_user(request.user, WorkingGroup, "change", pk=int(group_id), programme=programme)
    form = PersonCreateForm(
        request.POST or None,
        programme=programme,
        user=request.user,
        initial={"place": group.district_id} if group else None,
    )
    candidates: list[services.Candidate] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["full_name"] and not data["confirm_new"]:
            candidates = services.person_find_duplicates(
                actor=request.user, programme=programme, full_name=data["full_name"]
            )
        if candidates:
            form.add_error("confirm_new", _("Check the people listed: if none of them is this person, tick the box."))
        else:
            try:
                person = services.person_create(
                    actor=request.user,
                    programme=programme,
                    sex=data["sex"],
                    place=data["place"],
                    birth_year=data["birth_year"],
                    age_band=data["age_band"] or None,
                    sectors=list(data["sectors"]),
                    languages=data["languages"],
                    sensitivity=data["sensitivity"],
                    personal=PersonalData(
                        full_name=data["full_name"], phone=data["phone"], email=data["email"], address=data["address"]
                    ),
                )
                if group is not None:
                    membership_add(
                        actor=request.user,
                        group=group,
                        person=person,
                        joined_on=timezone.localdate(),
                        sector=next(iter(data["sectors"]), None),
                    )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("%(code)s was added.") % {"code": person.code})
                if group is not None:
                    return redirect("group_detail", programme.code, group.pk)
                return redirect("person_detail", programme.code, person.pk)
    if not candidates:  # the "this is a new person" box only matters once duplicates are offered
        form.fields["confirm_new"].widget = forms.HiddenInput()
    return render(request, "people/create.html", {"form": form, "candidates": candidates, "group": group})


def _detail_context(request: HttpRequest, person: Person) -> dict[str, Any]:
    may_see = person.deidentified_at is None and bool(decide(request.user, "person.view_personal_data", person))
    personal = vault_get(actor=request.user, subject_key=person.vault_key, purpose="view person") if may_see else None
    change = decide(request.user, "person.change", person)
    return {
        "person": person,
        "personal": personal,
        "may_see_personal": may_see,
        "consents": person.consents.all(),
        "memberships": person.memberships.select_related("group", "sector").order_by("-joined_on"),
        "consent_form": ConsentForm(),
        "personal_form": PersonalDataForm(initial=personal.__dict__ if personal else None),
        "may_merge": bool(decide(request.user, "person.merge", person)),
        "may_change": bool(change),
        "change_refused_because": "" if change else change.reason,
        "may_link_account": (may_link := bool(decide(request.user, "person.link_account", person))),
        "account_form": AccountLinkForm(initial={"email": person.account.email if person.account else ""})
        if may_link
        else None,
    }


@programme_view(action="person.view")
def person_detail(request: ProgrammeRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    if person.merged_into_id:
        return redirect("person_detail", request.programme.code, person.merged_into_id)
    return render(request, "people/detail.html", _detail_context(request, person))


@programme_view(action="person.view")
def person_edit(request: ProgrammeRequest, pk: int) -> HttpResponse:
    """The profile, edited in place with htmx (or as a page without JavaScript)."""
    person = _person(request, pk, "change")
    initial = {
        "sex": person.sex,
        "birth_year": person.birth_year,
        "age_band": person.age_band,
        "place": person.place_id,
        "sectors": list(person.sectors.all()),
        "languages": person.languages,
        "sensitivity": person.sensitivity,
    }
    form = ProfileForm(request.POST or None, programme=request.programme, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.person_update(
                actor=request.user,
                person=person,
                sex=data["sex"],
                birth_year=data["birth_year"],
                age_band=data["age_band"] or None,
                place=data["place"],
                languages=data["languages"],
                sensitivity=data["sensitivity"],
                sectors=list(data["sectors"]),
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            if is_htmx(request):
                return render_page(request, "people/_profile.html", {"person": person, "may_change": True})
            return redirect("person_detail", request.programme.code, person.pk)
    return render_page(request, "people/edit.html", {"person": person, "form": form}, partial="form")


@require_POST
@programme_view(action="person.view")
def person_personal_data(request: ProgrammeRequest, pk: int) -> HttpResponse:
    person = _person(request, pk, "change")
    require(request.user, "person.view_personal_data", person)
    form = PersonalDataForm(request.POST)
    done = form_then_service(
        form,
        lambda data: services.person_set_personal_data(actor=request.user, person=person, data=PersonalData(**data)),
    )
    if done:
        messages.success(request, _("The personal data were saved."))
        return redirect("person_detail", request.programme.code, person.pk)
    context = _detail_context(request, person) | {"personal_form": form}
    return render(request, "people/detail.html", context, status=done.status)


@require_POST
@programme_view(action="person.view")
def person_consent_add(request: ProgrammeRequest, pk: int) -> HttpResponse:
    person = _person(request, pk, "change")
    form = ConsentForm(request.POST)
    done = form_then_service(form, lambda data: services.consent_record(actor=request.user, person=person, **data))
    if done:
        messages.success(request, _("The consent was recorded."))
        return redirect("person_detail", request.programme.code, person.pk)
    context = _detail_context(request, person) | {"consent_form": form}
    return render(request, "people/detail.html", context, status=done.status)


@require_POST
@programme_view(action="person.view")
def person_consent_withdraw(request: ProgrammeRequest, pk: int, consent_id: int) -> HttpResponse:
    person = _person(request, pk, "change")
    consent = Consent.objects.filter(person=person, pk=consent_id).first()
    if consent is None:
        from django.http import Http404

        raise Http404
    services.consent_withdraw(actor=request.user, consent=consent)
    messages.success(request, _("The consent was withdrawn."))
    return redirect("person_detail", request.programme.code, person.pk)


@programme_view(action="person.merge")
def person_merge(request: ProgrammeRequest, pk: int) -> HttpResponse:
    programme = request.programme
    person = _person(request, pk, "merge")
    form = MergeForm(request.POST or None)
    personal = vault_get(actor=request.user, subject_key=person.vault_key, purpose="merge check")
    candidates = (
        services.person_find_duplicates(
            actor=request.user, programme=programme, full_name=personal.full_name, exclude=person
        )
        if personal and personal.full_name
        else []
    )
    if request.method == "POST" and form.is_valid():
        other = (
            Person.objects.visible_to(request.user)
            .filter(programme=programme, code=form.cleaned_data["other"].strip().upper())
            .first()
        )
        if other is None:
            form.add_error("other", _("No person with this code in your scope."))
        else:
            try:
                services.person_merge(actor=request.user, keep=person, drop=other)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(
                    request, _("%(other)s was merged into %(code)s.") % {"other": other.code, "code": person.code}
                )
                return redirect("person_detail", programme.code, person.pk)
    return render(request, "people/merge.html", {"person": person, "form": form, "candidates": candidates})


@require_POST
@programme_view(action="person.link_account")
def person_account(request: ProgrammeRequest, pk: int) -> HttpResponse:
    """Link the person to a working-group member's sign-in account (or unlink it)."""
    from hamkori.accounts.models import User

    person = _person(request, pk, "link_account")
    form = AccountLinkForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"].strip()
        account = User.objects.filter(email__iexact=email).first() if email else None
        try:
            if email and account is None:
                raise ValidationError(
                    {
                        "email": [
                            _("No active account with this email address is a working-group member in this programme.")
                        ]
                    }
                )
            services.person_link_account(actor=request.user, person=person, account=account)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            if account is not None:
                messages.success(request, _("%(code)s is linked to their account.") % {"code": person.code})
            else:
                messages.success(request, _("%(code)s is not linked to an account any more.") % {"code": person.code})
            return redirect("person_detail", request.programme.code, person.pk)
    return render(request, "people/detail.html", _detail_context(request, person) | {"account_form": form}, status=422)
