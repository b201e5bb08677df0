"""Pages of the prioritisation rounds: the list, setting a round up, the round itself (shortlist,
scoring per stakeholder type, the ranked results with the disagreements, the decision)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, get_for_user, require
from hamkori.concerns import rounds
from hamkori.concerns.forms_rounds import DecideForm, RoundForm, ShortlistForm
from hamkori.concerns.models import Concern, PrioritisationRound, Score, Stakeholder, Status
from hamkori.core.models import Sensitivity
from hamkori.groups.models import WorkingGroup
from hamkori.kit.pages import form_then_service, render_page
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

PAGE_SIZE = 50
#: A score's field in the grid: ``s-<concern id>-<criterion id>``.
SCORE_FIELD = re.compile(r"s-(\d{1,12})-(\d{1,12})")


def _round(request: ProgrammeRequest, round_id: int) -> PrioritisationRound:
    return get_for_user(request.user, PrioritisationRound, "view", pk=round_id, programme=request.programme)


def _groups_for(request: ProgrammeRequest) -> list[WorkingGroup]:
    """The groups whose rounds the user may set up (visible, meeting, and the user facilitates them)."""
    groups = (
        WorkingGroup.objects.visible_to(request.user)
        .filter(programme=request.programme)
        .exclude(status__in=rounds.NOT_MEETING)
        .select_related("district")
        .order_by("district__path", "name", "pk")
    )
    return [g for g in groups if decide(request.user, "round.change", g)]


@programme_view(action="concern.prioritise")
def round_list(request: ProgrammeRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    found = (
        PrioritisationRound.objects.visible_to(request.user)
        .filter(programme=request.programme)
        .select_related("group", "district")
        .annotate(shortlisted=Count("concerns", distinct=True))
    )
    if state in PrioritisationRound.State.values:
        found = found.filter(state=state)
    page = Paginator(found.order_by("-held_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "concerns/rounds/list.html",
        {
            "page": page,
            "params": {"state": state if state in PrioritisationRound.State.values else ""},
            "states": PrioritisationRound.State.choices,
            "may_create": bool(decide(request.user, "round.change", request.programme)),
        },
    )


def _selected(data: Any, name: str) -> set[int]:
    values = data.getlist(name) if isinstance(data, QueryDict) else (data or [])
    return {int(v) for v in values if str(v).isdigit() and len(str(v)) < 13}


@programme_view(action="round.change")
def round_create(request: ProgrammeRequest) -> HttpResponse:
    """Set up a round. Without JavaScript, choosing the group and pressing "Show its concerns"
    (``show``) shows the group's triaged concerns; with it, htmx does the same on choosing."""
    programme, user = request.programme, request.user
    groups = _groups_for(request)
    data = request.POST if request.method == "POST" else None
    showing = data is not None and "show" in data
    raw_group = (data.get("group") if data is not None else request.GET.get("group")) or ""
    if not raw_group and len(groups) == 1:
        raw_group = str(groups[0].pk)
    group = next((g for g in groups if str(g.pk) == raw_group), None)
    if group is None and raw_group.isdigit() and len(raw_group) < 13:
        # A group the user sees but does not facilitate: refused with the reason (and audited).
        seen = WorkingGroup.objects.visible_to(user).filter(programme=programme, pk=int(raw_group)).first()
        if seen is not None:
            require(user, "round.change", seen)
    candidates = (
        rounds.shortlist_candidates(user, group).prefetch_related("drivers")
        if group is not None
        else Concern.objects.none()
    )
    options: dict[str, Any] = {"programme": programme, "groups": groups, "candidates": candidates}
    if data is not None and showing:
        initial = {
            "group": group.pk if group else None,
            "title": data.get("title", "")[:200],
            "held_on": data.get("held_on", "")[:10],
            "criteria": sorted(_selected(data, "criteria")),
        }
        form = RoundForm(initial=initial, **options)
    else:
        form = RoundForm(data, initial={"group": group.pk if group else None}, **options)
    status = 200
    if data is not None and not showing:
        done = form_then_service(
            form,
            lambda d: rounds.round_create(
                actor=user,
                group=d["group"],
                title=d["title"],
                held_on=d["held_on"],
                criteria=d["criteria"],
                concerns=d["concerns"],
            ),
        )
        if done:
            messages.success(request, _("The round is set up. Now enter each side's scores."))
            return redirect("round_detail", programme.code, done.value.pk)
        status = done.status
    context = {
        "form": form,
        "group": group,
        "candidates": list(candidates[: rounds.CANDIDATE_LIMIT]),
        "candidate_limit": rounds.CANDIDATE_LIMIT,
        "selected": _selected(data, "concerns") if data is not None else set(),
        "no_groups": not groups,
    }
    return render_page(request, "concerns/rounds/form.html", context, partial="shortlist", status=status)


def _descriptions(user: Any, concerns: list[Concern]) -> dict[int, str]:
    """What the page shows of each shortlisted concern: its description, unless it is restricted and
    the user may not see it (a group member, a partner of another organisation)."""
    restricted = [c.pk for c in concerns if c.sensitivity == Sensitivity.RESTRICTED]
    readable = set(Concern.objects.visible_to(user).filter(pk__in=restricted).values_list("pk", flat=True))
    return {c.pk: c.description for c in concerns if c.sensitivity != Sensitivity.RESTRICTED or c.pk in readable}


def _detail_context(
    request: ProgrammeRequest,
    round_: PrioritisationRound,
    *,
    stakeholder: str = "",
    posted: QueryDict | None = None,
    score_errors: list[str] | None = None,
    decide_form: DecideForm | None = None,
) -> dict[str, Any]:
    user = request.user
    criteria = list(round_.criteria.all())
    concerns = list(round_.concerns.prefetch_related("drivers").order_by("pk"))
    scores = list(Score.objects.filter(round=round_))
    results = rounds.round_results(round_, concerns=concerns, criteria=criteria, scores=scores)
    is_open = round_.state == PrioritisationRound.State.OPEN
    if stakeholder not in Stakeholder.values:
        stakeholder = request.GET.get("stakeholder", "")
    if stakeholder not in Stakeholder.values:
        stakeholder = Stakeholder.COMMUNITY
    mine = {(s.concern_id, s.criterion_id): s.value for s in scores if s.stakeholder == stakeholder}
    cards = []
    for concern in concerns:
        rows = []
        for criterion in criteria:
            name = f"s-{concern.pk}-{criterion.pk}"
            if posted is not None:
                raw = posted.get(name, "")
                current = int(raw) if raw.isdigit() and len(raw) < 3 else None
            else:
                current = mine.get((concern.pk, criterion.pk))
            rows.append({"criterion": criterion, "name": name, "current": current})
        cards.append({"concern": concern, "rows": rows})
    base = reverse("round_detail", args=[request.programme.code, round_.pk])
    tabs = [
        {
            "value": value,
            "label": label,
            "url": f"{base}?stakeholder={value}#scores",
            "entered": results.progress[value][0],
            "expected": results.progress[value][1],
            "current": value == stakeholder,
        }
        for value, label in Stakeholder.choices
    ]
    may_change = bool(decide(user, "round.change", round_))
    decide_form = decide_form or DecideForm(concerns=concerns)
    chosen = set(round_.chosen.values_list("pk", flat=True)) if not is_open else set()
    return {
        "round": round_,
        "group": round_.group,
        "is_open": is_open,
        "criteria": criteria,
        "concerns": concerns,
        "texts": _descriptions(user, concerns),
        "results": results,
        "stakeholder": stakeholder,
        "stakeholder_label": Stakeholder(stakeholder).label,
        "tabs": tabs,
        "cards": cards,
        "scale": rounds.SCALE,
        "score_errors": score_errors or [],
        "may_score": is_open and bool(decide(user, "round.score", round_)),
        "may_change": may_change,
        "decide_form": decide_form,
        "decide_selected": _selected(decide_form.data, "chosen") if decide_form.is_bound else set(),
        "chosen": chosen,
        "triaged": Status.TRIAGED,
        "disagreement_points": rounds.DISAGREEMENT_POINTS,
    }


@programme_view(action="concern.prioritise")
def round_detail(request: ProgrammeRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id)
    return render_page(request, "concerns/rounds/detail.html", _detail_context(request, round_))


@require_POST
@programme_view(action="concern.prioritise")
def round_scores(request: ProgrammeRequest, round_id: int) -> HttpResponse:
    """Save one stakeholder type's scores (the whole grid in one POST; an empty row is left as it was)."""
    round_ = _round(request, round_id)
    require(request.user, "round.score", round_)
    stakeholder = request.POST.get("stakeholder", "")
    scores: dict[tuple[int, int], int] = {}
    for key in request.POST:
        raw = str(request.POST.get(key, "")).strip()
        if (match := SCORE_FIELD.fullmatch(key)) and raw:
            # Anything but a small whole number becomes 0, which the service refuses with its message.
            scores[(int(match[1]), int(match[2]))] = int(raw) if raw.isdigit() and len(raw) < 3 else 0
    try:
        saved = rounds.round_score(actor=request.user, round=round_, stakeholder=stakeholder, scores=scores)
    except ValidationError as exc:
        context = _detail_context(
            request, round_, stakeholder=stakeholder, posted=request.POST, score_errors=exc.messages
        )
        return render_page(request, "concerns/rounds/detail.html", context, status=422)
    messages.success(
        request,
        _("%(who)s scores saved: %(added)s new, %(changed)s changed.")
        % {"who": Stakeholder(stakeholder).label, "added": saved["added"], "changed": saved["changed"]},
    )
    url = reverse("round_detail", args=[request.programme.code, round_.pk])
    return redirect(f"{url}?stakeholder={stakeholder}")


@require_POST
@programme_view(action="round.change")
def round_decide(request: ProgrammeRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id)
    require(request.user, "round.change", round_)
    form = DecideForm(request.POST, concerns=list(round_.concerns.all()))
    done = form_then_service(form, lambda d: rounds.round_decide(actor=request.user, round=round_, chosen=d["chosen"]))
    if done:
        messages.success(request, _("Decided: the chosen concerns are now prioritised by the group."))
        return redirect("round_detail", request.programme.code, round_.pk)
    context = _detail_context(request, round_, decide_form=form)
    return render_page(request, "concerns/rounds/detail.html", context, status=422)


@programme_view(action="round.change")
def round_shortlist(request: ProgrammeRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id)
    require(request.user, "round.change", round_)
    if round_.state != PrioritisationRound.State.OPEN:
        messages.error(request, _("This round has been decided: its scores and shortlist no longer change."))
        return redirect("round_detail", request.programme.code, round_.pk)
    current = list(round_.concerns.prefetch_related("drivers").order_by("pk"))
    others = rounds.shortlist_candidates(request.user, round_.group).exclude(pk__in=[c.pk for c in current])
    candidates = current + list(others.prefetch_related("drivers")[: rounds.CANDIDATE_LIMIT])
    form = ShortlistForm(
        request.POST if request.method == "POST" else None,
        candidates=Concern.objects.filter(pk__in=[c.pk for c in candidates]),
    )
    if request.method == "POST":
        done = form_then_service(
            form,
            lambda d: rounds.round_update_shortlist(actor=request.user, round=round_, concerns=d["concerns"]),
        )
        if done:
            messages.success(request, _("The shortlist is saved."))
            return redirect("round_detail", request.programme.code, round_.pk)
    selected = _selected(request.POST, "concerns") if request.method == "POST" else {c.pk for c in current}
    context = {
        "round": round_,
        "form": form,
        "candidates": candidates,
        "selected": selected,
        "texts": _descriptions(request.user, candidates),
        "scored": set(Score.objects.filter(round=round_).values_list("concern_id", flat=True)),
    }
    return render_page(request, "concerns/rounds/shortlist.html", context, status=422 if form.errors else 200)
