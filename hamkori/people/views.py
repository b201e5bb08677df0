from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, get_for_user, require
from hamkori.kit.pages import form_then_service, is_htmx, querystring, render_page
from hamkori.people import services
from hamkori.people.forms import (
    AccountLinkForm,
    ConsentForm,
    MergeForm,
    PersonalDataForm,
    PersonCreateForm,
    ProfileForm,
    consents_given,
)
from hamkori.people.models import Consent, Person, Sector, Sex
from hamkori.people.selectors import (
    PEOPLE_FILTERS,
    column_values,
    filter_people,
    may_see_personal_data,
    names_for,
    person_filters,
    personal_data_of,
    pick_people,
    with_participation_consent,
)
from hamkori.programmes.views_access import ProgrammeRequest, programme_view
from hamkori.vault.services import PersonalData

PAGE_SIZE = 50


def _person(request: ProgrammeRequest, pk: int, action: str = "view") -> Person:
    return get_for_user(request.user, Person, action, pk=pk, programme=request.programme)


@programme_view(action="person.view")
def person_list(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    people = (
        Person.objects.visible_to(request.user)
        .filter(programme=programme, merged_into__isnull=True)
        .select_related("place")
        .prefetch_related("sectors")
    )
    filters = {k: request.GET.get(k, "").strip()[:100] for k in PEOPLE_FILTERS}
    today = timezone.localdate()
    matching = filter_people(actor=request.user, programme=programme, queryset=people, filters=filters, today=today)
    page = Paginator(matching.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # Filters and columns other apps contribute (the groups: "group", "Groups"); people imports none of them.
    contributed = [
        (f, f.choices(actor=request.user, programme=programme, filters=filters), filters.get(f.key, ""))
        for f in person_filters()
    ]
    columns = column_values(actor=request.user, programme=programme, people=rows, today=today)
    context = {
        "page": page,
        "rows": rows,
        "names": names_for(request.user, rows, "list people"),
        "filters": filters,
        "districts": [loc.place for loc in programme.locations.select_related("place")],
        "sectors": Sector.objects.filter(active=True),
        "sexes": Sex.choices,
        "contributed_filters": contributed,
        "columns": columns,
        "consented": with_participation_consent(rows),
        "consent_choices": [("given", _("given")), ("missing", _("missing"))],
        "colspan": 7 + len(columns),
        "querystring": querystring(filters),
        "may_merge": bool(decide(request.user, "person.merge", programme)),
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


def picker_context(
    request: ProgrammeRequest,
    *,
    field: str = "person",
    excluding: dict[str, Any] | None = None,
    selected: str = "",
    label: str = "",
) -> dict[str, Any]:
    """What ``people/_picker.html`` needs: include it inside a form as
    ``{% include "people/_picker.html" with picker=picker %}``.

    The form then receives ``field`` (default ``person``) holding the chosen person's code, from a
    radio button (no hidden values). The search box is ``<field>_search``: read from the page's own
    query string, so a page that passes this context renders results without JavaScript (the
    include's "Search" button reloads the page with ``?<field>_search=``); with htmx the results
    come from :func:`person_picker` as one types. ``excluding`` names registered person filters
    whose people are left out (``{"group": 12}``: the group's current members); ``selected`` keeps
    a choice when a form is shown again."""
    search = request.GET.get(f"{field}_search", "").strip()[:200]
    picks = pick_people(
        actor=request.user,
        programme=request.programme,
        query=search,
        excluding=excluding,
        selected=selected,
        today=timezone.localdate(),
    )
    return {
        "field": field,
        "label": label or _("Person"),
        "search": search,
        "picks": picks,
        "selected": selected.strip().upper(),
        "url": reverse("person_picker", args=[request.programme.code])
        + "?"
        + querystring({"field": field, **{f"except_{k}": v for k, v in (excluding or {}).items()}}),
    }


@programme_view(action="person.view")
def person_picker(request: ProgrammeRequest) -> HttpResponse:
    """htmx: the people matching what is typed in a person picker (``people/_picker.html``), as
    radio buttons. ``?field=person&person_search=Зарина&except_group=12``."""
    field = request.GET.get("field", "person")
    if not field.isidentifier() or len(field) > 40:
        field = "person"
    excluding = {
        key.removeprefix("except_"): value[:40] for key, value in request.GET.items() if key.startswith("except_")
    }
    context = picker_context(request, field=field, excluding=excluding)
    return render(request, "people/_picker.html#results", {"picker": context})


def person_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The keywords of ``services.person_create`` (but ``actor`` and ``programme``) from a
    :class:`PersonCreateForm`'s cleaned data."""
    return {
        "sex": data["sex"],
        "place": data["place"],
        "birth_year": data["birth_year"],
        "age_band": data["age_band"] or None,
        "sectors": list(data["sectors"]),
        "languages": data["languages"],
        "sensitivity": data["sensitivity"],
        "personal": PersonalData(
            full_name=data["full_name"], phone=data["phone"], email=data["email"], address=data["address"]
        ),
        "consents": consents_given(data),
    }


def person_create_page(
    request: ProgrammeRequest,
    *,
    save: Callable[[dict[str, Any]], Person],
    done: Callable[[Person], HttpResponse],
    initial: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The "add a person" page: the form, likely duplicates offered before saving, then
    ``save(cleaned_data)`` (one service call; its ValidationError shows on the form) and ``done``.
    Other apps reuse it to register a person into something of theirs (a working group)."""
    programme = request.programme
    form = PersonCreateForm(request.POST or None, programme=programme, user=request.user, initial=initial)
    candidates: list[services.Candidate] = []

    def check_then_save(data: dict[str, Any]) -> Person | None:
        nonlocal candidates
        if data["full_name"] and not data["confirm_new"]:
            candidates = services.person_find_duplicates(
                actor=request.user, programme=programme, full_name=data["full_name"]
            )
        if candidates:
            form.add_error("confirm_new", _("Check the people listed: if none of them is this person, tick the box."))
            return None
        return save(data)

    if request.method == "POST" and (saved := form_then_service(form, check_then_save)) and saved.value is not None:
        messages.success(request, _("%(code)s was added.") % {"code": saved.value.code})
        return done(saved.value)
    if not candidates:  # the "this is a new person" box only matters once duplicates are offered
        form.fields["confirm_new"].widget = forms.HiddenInput()
    return render(request, "people/create.html", {"form": form, "candidates": candidates, **(context or {})})


@programme_view(action="person.create")
def person_create(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    require(request.user, "person.create", programme)
    group_id = request.GET.get("group") or request.POST.get("group")
    if group_id and str(group_id).isdigit():
        # Registering someone into a working group is the groups' page (people writes no memberships);
        # 307 keeps a form posted from an older page a POST.
        url = reverse("group_person_create", args=[programme.code, int(group_id)])
        return HttpResponseRedirect(url, status=307) if request.method == "POST" else redirect(url)
    return person_create_page(
        request,
        save=lambda data: services.person_create(actor=request.user, programme=programme, **person_fields(data)),
        done=lambda person: redirect("person_detail", programme.code, person.pk),
        context={"group": None},
    )


def _detail_context(request: HttpRequest, person: Person) -> dict[str, Any]:
    may_see = may_see_personal_data(request.user, person)
    personal = personal_data_of(request.user, person, "view person")
    change = decide(request.user, "person.change", person)
    consents = list(person.consents.all())
    participation_missing = person.deidentified_at is None and not any(
        c.purpose == Consent.Purpose.PARTICIPATION and c.withdrawn_on is None for c in consents
    )
    return {
        "person": person,
        "personal": personal,
        "may_see_personal": may_see,
        "consents": consents,
        "participation_missing": participation_missing,
        "memberships": person.memberships.select_related("group", "sector").order_by("-joined_on"),
        "consent_form": ConsentForm(
            initial={"purpose": Consent.Purpose.PARTICIPATION} if participation_missing else None
        ),
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
    if request.method == "POST" and form_then_service(
        form,
        lambda data: services.person_update(
            actor=request.user,
            person=person,
            sex=data["sex"],
            birth_year=data["birth_year"],
            age_band=data["age_band"] or None,
            place=data["place"],
            languages=data["languages"],
            sensitivity=data["sensitivity"],
            sectors=list(data["sectors"]),
        ),
    ):
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
        raise Http404
    if request.POST.get("confirm") != "yes":  # withdrawing erases names and contacts: never in one stray tap
        messages.error(request, _("Nothing was withdrawn: tick the box to confirm first."))
        return redirect("person_detail", request.programme.code, person.pk)
    services.consent_withdraw(actor=request.user, consent=consent)
    messages.success(request, _("The consent was withdrawn."))
    return redirect("person_detail", request.programme.code, person.pk)


@programme_view(action="person.merge")
def person_merge(request: ProgrammeRequest, pk: int) -> HttpResponse:
    programme = request.programme
    person = _person(request, pk, "merge")
    # The likely-duplicates page links here with the duplicate's code filled in.
    form = MergeForm(request.POST or None, initial={"other": request.GET.get("other", "")[:20]})
    personal = personal_data_of(request.user, person, "merge check")
    candidates = (
        services.person_find_duplicates(
            actor=request.user, programme=programme, full_name=personal.full_name, exclude=person
        )
        if personal and personal.full_name
        else []
    )

    def merge(data: dict[str, Any]) -> Person | None:
        other = (
            Person.objects.visible_to(request.user)
            .filter(programme=programme, code=data["other"].strip().upper())
            .first()
        )
        if other is None:
            form.add_error("other", _("No person with this code in your scope."))
            return None
        services.person_merge(actor=request.user, keep=person, drop=other)
        return other

    if request.method == "POST" and (merged := form_then_service(form, merge)) and merged.value is not None:
        messages.success(
            request, _("%(other)s was merged into %(code)s.") % {"other": merged.value.code, "code": person.code}
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

    def link(data: dict[str, Any]) -> User | None:
        email = data["email"].strip()
        account = User.objects.filter(email__iexact=email).first() if email else None
        if email and account is None:
            raise ValidationError(
                {"email": [_("No active account with this email address is a working-group member in this programme.")]}
            )
        services.person_link_account(actor=request.user, person=person, account=account)
        return account

    if linked := form_then_service(form, link):
        if linked.value is not None:
            messages.success(request, _("%(code)s is linked to their account.") % {"code": person.code})
        else:
            messages.success(request, _("%(code)s is not linked to an account any more.") % {"code": person.code})
        return redirect("person_detail", request.programme.code, person.pk)
    return render(request, "people/detail.html", _detail_context(request, person) | {"account_form": form}, status=422)
