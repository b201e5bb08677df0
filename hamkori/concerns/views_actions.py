"""Pages of acting together: the action plan's forms (posted from the concern page, which they return
to), an action's page, a referral's page for the liaison, the liaison's inbox, a working group's
promises, and the overdue actions of a district. Thin views: fetch through ``get_for_user`` or
``visible_to``, one service, a page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, get_for_user, grant_in, require
from hamkori.concerns import actions as services
from hamkori.concerns.forms_actions import (
    ActionForm,
    ActionUpdateForm,
    PublishForm,
    ReferralForm,
    RespondForm,
    ReviewForm,
    SignOffForm,
)
from hamkori.concerns.models import Action, ActionOwner, Concern, Referral, SignOff, Status, overdue_q, referral_late_q
from hamkori.concerns.origins import action_origins
from hamkori.concerns.plan import INBOX_ORDER, action_counts, concern_url
from hamkori.concerns.services import programme_districts
from hamkori.concerns.workflow import AUTHORITY_KINDS
from hamkori.core.roles import Role
from hamkori.groups.models import WorkingGroup
from hamkori.kit.pages import form_then_service
from hamkori.orgs.models import Organisation
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

PAGE_SIZE = 50


def _concern(request: ProgrammeRequest, pk: int, action: str = "view") -> Concern:
    return get_for_user(request.user, Concern, action, pk=pk, programme=request.programme)


def _back(concern: Concern, anchor: str = "plan") -> HttpResponse:
    return redirect(f"{concern_url(concern)}#{anchor}")


def _plan_page(request: ProgrammeRequest, concern: Concern, *, status: int = 200, **bound: Any) -> HttpResponse:
    return render(request, "concerns/plan.html", {"concern": concern, "plan_bound": bound}, status=status)


def _filters(request: ProgrammeRequest, *keys: str) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip()[:40] for key in keys}


# --- The action plan of a concern ------------------------------------------------------------------
@programme_view(action="concern.view")
def plan_concern(request: ProgrammeRequest, pk: int) -> HttpResponse:
    """The action plan of one concern on its own (the concern's page includes the same section)."""
    return _plan_page(request, _concern(request, pk))


@require_POST
@programme_view(action="concern.change")
def plan_action_add(request: ProgrammeRequest, pk: int) -> HttpResponse:
    concern = _concern(request, pk, "change")
    form = ActionForm(request.POST, concern=concern)
    done = form_then_service(
        form,
        lambda data: services.action_create(
            actor=request.user,
            concern=concern,
            title=data["title"],
            due_on=data["due_on"],
            owners=list(data["owners"]),
            group_owns=bool(data.get("group_owns")),
        ),
    )
    if done:
        messages.success(request, _("The action was added to the plan."))
        return _back(concern)
    return _plan_page(request, concern, status=422, action_form=form)


@require_POST
@programme_view(action="concern.change")
def plan_referral_add(request: ProgrammeRequest, pk: int) -> HttpResponse:
    concern = _concern(request, pk, "change")
    form = ReferralForm(request.POST, concern=concern)
    done = form_then_service(
        form,
        lambda data: services.referral_create(
            actor=request.user,
            concern=concern,
            organisation=data["organisation"],
            message=data["message"],
            respond_by=data["respond_by"],
            action=data["action"],
        ),
    )
    if done:
        messages.success(
            request,
            _("The concern was referred to %(organisation)s.") % {"organisation": done.value.organisation},
        )
        return _back(concern, "referrals")
    return _plan_page(request, concern, status=422, referral_form=form)


@require_POST
@programme_view(action="concern.view")
def plan_signoff_group(request: ProgrammeRequest, pk: int) -> HttpResponse:
    concern = _concern(request, pk, "signoff_group")
    form = SignOffForm(request.POST, prefix="sg")
    done = form_then_service(
        form,
        lambda data: services.signoff_group(
            actor=request.user, concern=concern, note=data["note"], outcome=data["outcome"]
        ),
    )
    if done:
        messages.success(request, _("The working group's sign-off was recorded."))
        return _back(concern, "signoffs")
    return _plan_page(request, concern, status=422, signoff_form=form)


def _concern_for_signoff(request: ProgrammeRequest, pk: int) -> tuple[Concern, bool]:
    """The concern, and whether the user sees it (a liaison whose organisation owns one of its
    actions signs off from the action or referral page without seeing the concern itself)."""
    concern = Concern.objects.visible_to(request.user).filter(pk=pk, programme=request.programme).first()
    if concern is not None:
        return concern, True
    action = (
        Action.objects.visible_to(request.user)
        .filter(concern_id=pk, programme=request.programme)
        .select_related("concern")
        .first()
    )
    if action is None or action.concern is None:
        raise Http404
    return action.concern, False


def url_is_ours(url: str) -> bool:
    """A page of a programme on this site to return to (never another host)."""
    return url.startswith("/p/") and "//" not in url and "\\" not in url


@require_POST
@programme_view(action="concern.view")
def plan_signoff_authority(request: ProgrammeRequest, pk: int) -> HttpResponse:
    """An organisation's sign-off (its liaison, or the lead recording it), from the plan, an action's
    page or a referral's page (``back``)."""
    concern, sees_concern = _concern_for_signoff(request, pk)
    raw = request.POST.get("organisation", "")
    organisation = Organisation.objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
    if organisation is None:
        raise Http404
    require(request.user, "concern.signoff_authority", (concern, organisation))
    form = SignOffForm(request.POST, prefix=f"so{organisation.pk}")
    done = form_then_service(
        form,
        lambda data: services.signoff_authority(
            actor=request.user, concern=concern, organisation=organisation, note=data["note"], outcome=data["outcome"]
        ),
    )
    back = request.POST.get("back", "")
    if done:
        messages.success(request, _("The sign-off of %(organisation)s was recorded.") % {"organisation": organisation})
    elif sees_concern and not url_is_ours(back):
        return _plan_page(request, concern, status=422, signoff_form=form)
    else:
        for message in form.errors.get("__all__", []) + [
            e for f, es in form.errors.items() if f != "__all__" for e in es
        ]:
            messages.error(request, str(message))
    if url_is_ours(back):
        return redirect(back)
    return _back(concern, "signoffs") if sees_concern else redirect("referral_inbox", request.programme.code)


@require_POST
@programme_view(action="concern.view")
def plan_review(request: ProgrammeRequest, pk: int) -> HttpResponse:
    concern = _concern(request, pk, "review")
    form = ReviewForm(request.POST)
    done = form_then_service(
        form,
        lambda data: services.review_record(
            actor=request.user,
            concern=concern,
            reviewed_on=data["reviewed_on"],
            rating_before=data["rating_before"],
            rating_after=data["rating_after"],
            what_changed=data["what_changed"],
        ),
    )
    if done:
        messages.success(request, _("The review was recorded: the concern is now reviewed."))
        return _back(concern, "review")
    return _plan_page(request, concern, status=422, review_form=form)


# --- One action ------------------------------------------------------------------------------------
def _action(request: ProgrammeRequest, action_id: int, action: str = "view") -> Action:
    return get_for_user(request.user, Action, action, pk=action_id, programme=request.programme)


def _signoff_for_liaison(request: ProgrammeRequest, concern: Concern | None) -> dict[str, Any] | None:
    """The sign-off a liaison may give for their own organisation on ``concern`` (else None)."""
    grant = grant_in(request.user, request.programme)
    if concern is None or grant is None or not grant.organisation_id or concern.status != Status.IN_PROGRESS:
        return None
    organisation = Organisation.objects.filter(pk=grant.organisation_id, kind__in=AUTHORITY_KINDS).first()
    if organisation is None or not decide(request.user, "concern.signoff_authority", (concern, organisation)):
        return None
    owns = (
        ActionOwner.objects.filter(action__concern=concern, organisation=organisation)
        .exclude(action__state=Action.State.DROPPED)
        .exists()
    )
    if not owns or SignOff.objects.filter(concern=concern, organisation=organisation).exists():
        return None
    return {
        "who": str(organisation),
        "url": reverse("plan_signoff_authority", args=[request.programme.code, concern.pk]),
        "organisation": organisation.pk,
        "form": SignOffForm(prefix=f"so{organisation.pk}"),
        "back": request.get_full_path(),
        "group_signed": SignOff.objects.filter(concern=concern, organisation__isnull=True).exists(),
    }


def _action_page(request: ProgrammeRequest, action: Action, *, status: int = 200, **forms: Any) -> HttpResponse:
    action = (
        Action.objects.select_related("concern", "group", "district", "published_by")
        .prefetch_related("ownerships__organisation")
        .get(pk=action.pk)
    )
    concern = action.concern
    sees_concern = concern is not None and Concern.objects.visible_to(request.user).filter(pk=concern.pk).exists()
    may_update = bool(decide(request.user, "action.change", action))
    may_publish = bool(decide(request.user, "concern.publish", action))
    context = {
        "action": action,
        "owners": [o.organisation for o in action.ownerships.all()],
        "notes": action.notes.select_related("actor")[:100],
        "concern": concern,
        "sees_concern": sees_concern,
        "concern_link": concern_url(concern) if concern is not None and sees_concern else "",
        "update_form": forms.get("update_form") or (ActionUpdateForm(action=action) if may_update else None),
        "publish_form": forms.get("publish_form")
        or (PublishForm(initial={"public_text": action.public_text}) if may_publish else None),
        "signoff": _signoff_for_liaison(request, concern),
        # An action without a concern: where it comes from (a dialogue's commitment), with a link back.
        "origin": action_origins(request.user, [action]).get(action.pk),
    }
    return render(request, "concerns/action.html", context, status=status)


@programme_view(action="concern.view")
def action_detail(request: ProgrammeRequest, action_id: int) -> HttpResponse:
    return _action_page(request, _action(request, action_id))


@require_POST
@programme_view(action="concern.view")
def action_progress(request: ProgrammeRequest, action_id: int) -> HttpResponse:
    """Record progress (from the action's page, or inline in the plan: ``back=plan`` returns there)."""
    action = _action(request, action_id, "change")
    form = ActionUpdateForm(request.POST, action=action)
    done = form_then_service(
        form,
        lambda data: services.action_update(
            actor=request.user, action=action, state=data["state"], progress=data["progress"], note=data["note"]
        ),
    )
    concern = action.concern if request.POST.get("back") == "plan" else None
    if done:
        messages.success(request, _("Progress recorded: %(title)s.") % {"title": action.title})
        if concern is not None:
            return _back(concern, f"action-{action.pk}")
        return redirect("action_detail", request.programme.code, action.pk)
    if concern is not None and Concern.objects.visible_to(request.user).filter(pk=concern.pk).exists():
        return _plan_page(request, concern, status=422, update_form=form, update_action=action.pk)
    return _action_page(request, action, status=422, update_form=form)


@require_POST
@programme_view(action="concern.publish")
def action_publish(request: ProgrammeRequest, action_id: int) -> HttpResponse:
    action = _action(request, action_id)
    require(request.user, "concern.publish", action)
    form = PublishForm(request.POST)
    done = form_then_service(
        form,
        lambda data: services.action_publish(
            actor=request.user,
            action=action,
            public_text=data["public_text"],
            do_no_harm_checked=data["do_no_harm_checked"],
        ),
    )
    if done:
        messages.success(
            request,
            _("The public wording was published.")
            if done.value.public_text
            else _("The public wording was withdrawn."),
        )
        return redirect("action_detail", request.programme.code, action.pk)
    return _action_page(request, action, status=422, publish_form=form)


# --- Referrals -------------------------------------------------------------------------------------
def _referral(request: ProgrammeRequest, referral_id: int, action: str = "view") -> Referral:
    return get_for_user(request.user, Referral, action, pk=referral_id, programme=request.programme)


def _referral_page(
    request: ProgrammeRequest, referral: Referral, *, status: int = 200, respond_form: RespondForm | None = None
) -> HttpResponse:
    """What a liaison reads: the message, and the concern's reference, district, place, drivers, affected
    groups and description. Never the reporter's contact, restricted notes or the timeline. A concern
    made restricted since the referral is no longer shown (the scope of concerns says so)."""
    referral = Referral.objects.select_related(
        "organisation", "action", "district", "sent_by", "acknowledged_by", "responded_by"
    ).get(pk=referral.pk)
    concern = (
        Concern.objects.visible_to(request.user)
        .filter(pk=referral.concern_id)
        .select_related("district", "place")
        .prefetch_related("drivers", "affected_groups")
        .first()
    )
    may_respond = bool(decide(request.user, "referral.respond", referral))
    is_lead = bool(decide(request.user, "concern.change", concern)) if concern is not None else False
    context = {
        "referral": referral,
        "concern": concern,
        "reference": Concern.objects.filter(pk=referral.concern_id).values_list("reference", flat=True).first(),
        "concern_link": concern_url(concern) if concern is not None and is_lead else "",
        "may_respond": may_respond and referral.state != Referral.State.RESPONDED,
        "is_liaison": request.role == Role.LIAISON,
        "may_acknowledge": may_respond and referral.state == Referral.State.SENT,
        "respond_form": respond_form or RespondForm(),
        "signoff": _signoff_for_liaison(request, concern or _concern_of(referral)),
    }
    return render(request, "concerns/referral.html", context, status=status)


def _concern_of(referral: Referral) -> Concern:
    return Concern.objects.get(pk=referral.concern_id)


@programme_view(action="concern.view")
def referral_detail(request: ProgrammeRequest, referral_id: int) -> HttpResponse:
    return _referral_page(request, _referral(request, referral_id))


@require_POST
@programme_view(action="concern.view")
def referral_acknowledge(request: ProgrammeRequest, referral_id: int) -> HttpResponse:
    referral = _referral(request, referral_id, "respond")
    try:
        services.referral_acknowledge(actor=request.user, referral=referral)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Acknowledged. Now answer by the date asked."))
    return redirect("referral_detail", request.programme.code, referral.pk)


@require_POST
@programme_view(action="concern.view")
def referral_respond(request: ProgrammeRequest, referral_id: int) -> HttpResponse:
    referral = _referral(request, referral_id, "respond")
    form = RespondForm(request.POST)
    if form_then_service(
        form, lambda data: services.referral_respond(actor=request.user, referral=referral, response=data["response"])
    ):
        messages.success(request, _("Your answer was sent. Thank you."))
        return redirect("referral_detail", request.programme.code, referral.pk)
    return _referral_page(request, referral, status=422, respond_form=form)


@programme_view(action="referral.inbox")
def referral_inbox(request: ProgrammeRequest) -> HttpResponse:
    """A liaison's referrals (to their organisation): awaiting acknowledgement first, then awaiting an
    answer, then answered; late ones flagged. The lead's staff see every referral, with filters."""
    programme = request.programme
    today = timezone.localdate()
    referrals = Referral.objects.visible_to(request.user).filter(programme=programme)
    counts = referrals.aggregate(
        sent=Count("pk", filter=Q(state=Referral.State.SENT)),
        acknowledged=Count("pk", filter=Q(state=Referral.State.ACKNOWLEDGED)),
        late=Count("pk", filter=referral_late_q()),
    )
    filters = _filters(request, "state", "district", "organisation", "late")
    may_filter_organisation = bool(decide(request.user, "concern.change", programme))
    if filters["state"] in Referral.State.values:
        referrals = referrals.filter(state=filters["state"])
    districts = programme_districts(programme)
    if filters["district"] in {d.code for d in districts}:
        referrals = referrals.filter(district__code=filters["district"])
    organisations = []
    if may_filter_organisation:
        organisations = list(
            Organisation.objects.filter(pk__in=Referral.objects.filter(programme=programme).values("organisation_id"))
        )
        if filters["organisation"].isdigit() and len(filters["organisation"]) < 12:
            referrals = referrals.filter(organisation_id=int(filters["organisation"]))
    if filters["late"] == "1":
        referrals = referrals.filter(referral_late_q())
    referrals = referrals.select_related("organisation", "district", "concern").order_by(
        INBOX_ORDER, "respond_by", "pk"
    )
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "concerns/inbox.html",
        {
            "page": page,
            "referrals": list(page.object_list),
            "counts": counts,
            "filters": filters,
            "params": filters,
            "states": Referral.State.choices,
            "districts": districts,
            "organisations": organisations,
            "is_lead": may_filter_organisation,
            "today": today,
        },
    )


# --- A group's promises, overdue actions -----------------------------------------------------------
@programme_view(action="workinggroup.view")
def group_promises(request: ProgrammeRequest, group_id: int) -> HttpResponse:
    """What the group agreed and where it stands: its actions by concern (and the concern's drivers),
    on time, late or done."""
    group = get_for_user(request.user, WorkingGroup, pk=group_id, programme=request.programme)
    actions = Action.objects.visible_to(request.user).filter(group=group)
    counts = action_counts(actions)
    filters = _filters(request, "show")
    if filters["show"] == "late":
        actions = actions.filter(overdue_q())
    elif filters["show"] == "open":
        actions = actions.filter(state__in=[Action.State.OPEN, Action.State.IN_PROGRESS])
    ordered = actions.select_related("concern").prefetch_related("ownerships__organisation")
    page = Paginator(ordered.order_by("concern__reference", "due_on", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    concern_ids = {a.concern_id for a in rows if a.concern_id}
    visible = {
        c.pk: c for c in Concern.objects.visible_to(request.user).filter(pk__in=concern_ids).prefetch_related("drivers")
    }
    sections: list[dict[str, Any]] = []
    for action in rows:
        key = action.concern_id
        if not sections or sections[-1]["key"] != key:
            sections.append(
                {
                    "key": key,
                    "concern": visible.get(key) if key else None,
                    "reference": action.concern.reference if action.concern else "",
                    "actions": [],
                }
            )
        sections[-1]["actions"].append(action)
    return render(
        request,
        "concerns/promises.html",
        {
            "group": group,
            "counts": counts,
            "sections": sections,
            "page": page,
            "params": filters,
            "filters": filters,
        },
    )


@programme_view(action="concern.view")
def actions_overdue(request: ProgrammeRequest) -> HttpResponse:
    """Actions past their due date, by district (the field's, a group's, a liaison's organisation's)."""
    programme = request.programme
    today = timezone.localdate()
    actions = Action.objects.visible_to(request.user).filter(programme=programme).filter(overdue_q())
    districts = programme_districts(programme)
    by_district = {
        row["district__code"]: row["n"] for row in actions.order_by().values("district__code").annotate(n=Count("pk"))
    }
    filters = _filters(request, "district")
    if filters["district"] in {d.code for d in districts}:
        actions = actions.filter(district__code=filters["district"])
    page = Paginator(
        actions.select_related("concern", "group", "district")
        .prefetch_related("ownerships__organisation")
        .order_by("due_on", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    actions_shown = list(page.object_list)
    origins = action_origins(request.user, actions_shown)
    rows = [(a, (today - a.due_on).days, origins.get(a.pk)) for a in actions_shown]
    return render(
        request,
        "concerns/overdue.html",
        {
            "rows": rows,
            "page": page,
            "params": filters,
            "filters": filters,
            "districts": [(d, by_district.get(d.code, 0)) for d in districts],
            "may_see_groups": bool(decide(request.user, "workinggroup.view", programme)),
        },
    )
