"""Acting together: action plans, referrals to authorities, sign-offs, reviews and the public wording
of an action (issue 14, item 4; ADR 0009).

Every function is a service: keyword-only, atomic, ``enforce``d (defence in depth: views and the API
fetch through ``get_for_user`` first), audited, and it adds a row to the concern's timeline. Bad input
raises ``ValidationError({field: [message]})`` and writes nothing.

Actions are not tied to concerns: ``action_create(concern=None, programme=..., district=...)`` records a
commitment made elsewhere (a dialogue, in the events app), with the same owners, due date and progress.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import enforce, role_in
from hamkori.concerns.models import (
    Action,
    ActionNote,
    ActionOwner,
    Concern,
    ConcernEvent,
    Referral,
    Review,
    SignOff,
    Status,
)
from hamkori.concerns.services import clean_text, move, programme_districts, timeline
from hamkori.concerns.workflow import AUTHORITY_KINDS
from hamkori.core import audit
from hamkori.core.models import Sensitivity
from hamkori.core.roles import Role
from hamkori.groups.models import WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.people.services import place_in_scope
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: A concern gets actions once its working group has prioritised it, until it is resolved.
PLANNING_STATUSES = frozenset({Status.PRIORITISED, Status.PLANNED, Status.IN_PROGRESS})
#: A concern may be referred to an authority from triage until it is resolved.
REFERRAL_STATUSES = frozenset({Status.TRIAGED, Status.PRIORITISED, Status.PLANNED, Status.IN_PROGRESS})
#: Closed by the working group: a review of whether people feel safer can then be recorded.
REVIEW_STATUSES = frozenset({Status.RESOLVED, Status.PARTLY_RESOLVED, Status.NOT_ACTIONABLE, Status.REFERRED_ELSEWHERE})
#: Local bodies that may own an action beside the lead and the partners.
LOCAL_OWNER_KINDS = [Organisation.Kind.POLICE, Organisation.Kind.AUTHORITY, Organisation.Kind.PUBLIC_COUNCIL]
OPEN_ACTION_STATES = (Action.State.OPEN, Action.State.IN_PROGRESS)

MAX_NOTE = 2000
#: An email address, or a run of seven or more digits (a phone or passport number), in text that will
#: reach an authority or the public: refused, since such text must identify no one.
_IDENTIFYING = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|(?:\d[\s().-]?){7,}")


def _local(district: Place | None) -> Q:
    """Bodies based in ``district`` (or a place in it), in a region or country above it, or nowhere
    recorded (a national ministry entered without a place)."""
    if district is None:
        return Q(place__isnull=True)
    above = district.path.strip("/").split("/")
    return Q(place__isnull=True) | Q(place__path__startswith=district.path) | Q(place__code__in=above)


def owner_choices(programme: Programme, district: Place | None) -> QuerySet[Organisation]:
    """The organisations that may own an action in ``district``: the programme's lead organisation,
    its partners (those covering the district), and the police, authorities and public councils of the
    district or above it."""
    partners = programme.partnerships.all()
    if district is not None:
        partners = partners.filter(places__code__in=district.path.strip("/").split("/"))
    return (
        Organisation.objects.filter(
            Q(pk=programme.lead_organisation_id)
            | Q(pk__in=partners.values("organisation_id"))
            | (Q(kind__in=LOCAL_OWNER_KINDS) & _local(district))
        )
        .distinct()
        .order_by("kind", "name_en")
    )


def referral_organisations(district: Place | None) -> QuerySet[Organisation]:
    """The police and authorities a concern of ``district`` may be referred to."""
    return Organisation.objects.filter(Q(kind__in=AUTHORITY_KINDS) & _local(district)).order_by("kind", "name_en")


def _no_identifying_detail(text: str, field: str) -> None:
    if _IDENTIFYING.search(text):
        raise ValidationError(
            {
                field: [
                    _(
                        "Remove the phone number or email address: this text goes to people outside the "
                        "programme and must not identify anyone."
                    )
                ]
            }
        )


def _must_see(actor: Any, model: type[Any], pk: int) -> None:
    """Defence in depth for the rules that trust the scope to have done its part (a group member acts
    only on their own groups' concerns and actions)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if not model.objects.visible_to(actor).filter(pk=pk).exists():
        raise PermissionDenied(_("This is not in your scope."))


def _owner_names(owners: Iterable[Organisation]) -> str:
    return ", ".join(str(o) for o in owners)


# --- Actions ---------------------------------------------------------------------------------------
@transaction.atomic
def action_create(
    *,
    actor: Any,
    concern: Concern | None = None,
    programme: Programme | None = None,
    district: Place | None = None,
    group: WorkingGroup | None = None,
    title: str,
    due_on: dt.date | None,
    owners: Iterable[Organisation] = (),
    group_owns: bool = False,
) -> Action:
    """Agree an action: what will be done, by when, by whom (one or several owner organisations, and/or
    the working group itself). For a concern (prioritised, planned or in progress) the programme,
    district and group are the concern's; without one (a commitment made in a dialogue) they are given."""
    errors: dict[str, list[str]] = {}
    if concern is not None:
        enforce(actor, "concern.change", concern)
        concern = Concern.objects.select_for_update().get(pk=concern.pk)
        if concern.status not in PLANNING_STATUSES:
            raise ValidationError(
                {
                    "concern": [
                        _(
                            "Actions are agreed once the working group has prioritised the concern, and until it "
                            "is resolved (it is %(status)s)."
                        )
                        % {"status": str(Status(concern.status).label).lower()}
                    ]
                }
            )
        programme, district, group = concern.programme, concern.district, concern.group
    else:
        if programme is None:
            raise ValidationError({"programme": [_("Choose the programme.")]})
        enforce(actor, "concern.change", programme)
        if district is None or district.pk not in {p.pk for p in programme_districts(programme)}:
            errors["district"] = [_("Choose one of the programme's locations.")]
        elif not place_in_scope(actor, programme, district):
            errors["district"] = [_("You can only record actions in your own districts.")]
        if group is not None and (
            group.programme_id != programme.pk or group.district_id != getattr(district, "pk", 0)
        ):
            errors["group"] = [_("Choose a working group of the district.")]
    try:
        title = clean_text(title, field="title", limit=300)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if due_on is None or not isinstance(due_on, dt.date):
        errors["due_on"] = [_("Say by when it will be done.")]
    owner_rows = list(dict.fromkeys(owners))
    allowed = set(owner_choices(programme, district).values_list("pk", flat=True)) if owner_rows else set()
    strangers = [o for o in owner_rows if getattr(o, "pk", None) not in allowed]
    if strangers:
        errors["owners"] = [
            _(
                "%(names)s cannot own an action here: choose the lead, a partner, or the police or an authority of the district."
            )
            % {"names": _owner_names(strangers)}
        ]
    elif not owner_rows and not group_owns:
        errors["owners"] = [_("Choose at least one owner organisation, or say that the working group owns it.")]
    if group_owns and group is None:
        errors["group_owns"] = [_("This concern has no working group yet: choose an owner organisation.")]
    if errors or district is None or due_on is None:
        raise ValidationError(errors)
    action = Action.objects.create(
        programme=programme,
        district=district,
        concern=concern,
        group=group,
        title=title,
        due_on=due_on,
        group_owns=group_owns,
    )
    ActionOwner.objects.bulk_create([ActionOwner(action=action, organisation=o) for o in owner_rows])
    who = [*([str(group)] if group_owns and group else []), *(str(o) for o in owner_rows)]
    if concern is not None:
        timeline(
            concern,
            actor=actor,
            kind=ConcernEvent.Kind.ACTION,
            text=_("Action agreed: %(title)s (by %(due)s; %(who)s)")
            % {"title": title, "due": due_on.isoformat(), "who": ", ".join(who)},
        )
    audit.record(
        actor=actor,
        action="action.create",
        obj=action,
        summary={
            "concern": concern.reference if concern else None,
            "due_on": due_on.isoformat(),
            "owners": [o.pk for o in owner_rows],
            "group_owns": group_owns,
        },
    )
    return action


@transaction.atomic
def action_update(
    *,
    actor: Any,
    action: Action,
    state: str | None = None,
    progress: int | None = None,
    note: str = "",
) -> Action:
    """Record progress on an action: its status, how far along it is (%), and a note. Done sets the
    completion date and 100 %; dropping one needs a note saying why; progress on an open action
    puts it in progress."""
    enforce(actor, "action.change", action)
    _must_see(actor, Action, action.pk)
    action = Action.objects.select_for_update().get(pk=action.pk)
    errors: dict[str, list[str]] = {}
    if state in ("", None):
        state = None
    elif state not in Action.State.values:
        errors["state"] = [_("Choose a status from the list.")]
    if progress is not None and (
        isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100
    ):
        errors["progress"] = [_("Progress is a number from 0 to 100.")]
    try:
        note = clean_text(note, field="note", required=False, limit=MAX_NOTE)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(action, ["state", "progress", "completed_on"])
    new_state = state or action.state
    new_progress = action.progress if progress is None else progress
    if new_state == Action.State.DROPPED and action.state != Action.State.DROPPED and not note:
        raise ValidationError({"note": [_("Say why the action is dropped.")]})
    if new_state == Action.State.DONE:
        new_progress = 100
        completed_on = action.completed_on if action.state == Action.State.DONE else timezone.localdate()
    else:
        completed_on = None
        if new_state == action.state == Action.State.OPEN and new_progress > 0:
            new_state = Action.State.IN_PROGRESS
    changed = (new_state, new_progress) != (action.state, action.progress)
    if not changed and not note:
        raise ValidationError({"note": [_("Nothing to record: change the status or the progress, or write a note.")]})
    action.state, action.progress, action.completed_on = new_state, new_progress, completed_on
    action.save(update_fields=["state", "progress", "completed_on", "updated_at"])
    ActionNote.objects.create(
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        text=note,
        progress=new_progress,
        state=new_state,
    )
    changes = audit.diff(action, ["state", "progress", "completed_on"], before)
    if action.concern_id is not None:
        text = _("%(title)s: %(state)s, %(progress)s%%") % {
            "title": action.title,
            "state": str(Action.State(new_state).label).lower(),
            "progress": new_progress,
        }
        timeline(
            action.concern,  # type: ignore[arg-type]
            actor=actor,
            kind=ConcernEvent.Kind.ACTION,
            text=f"{text}. {note}" if note else text,
        )
    audit.record(actor=actor, action="action.update", obj=action, summary={**changes, "note": bool(note)})
    return action


@transaction.atomic
def action_publish(*, actor: Any, action: Action, public_text: str, do_no_harm_checked: bool) -> Action:
    """Publish (or, with empty text, withdraw) the wording of an action shown on the district's public
    page. Staff of the lead organisation confirm the do-no-harm check: it names no one."""
    enforce(actor, "concern.publish", action)
    public_text = clean_text(public_text, field="public_text", required=False, limit=300)
    if public_text:
        _no_identifying_detail(public_text, "public_text")
        if not do_no_harm_checked:
            raise ValidationError(
                {"do_no_harm_checked": [_("Confirm that the wording names no one and cannot identify anyone.")]}
            )
    action = Action.objects.select_for_update().get(pk=action.pk)
    action.public_text = public_text
    action.published_at = timezone.now() if public_text else None
    action.published_by = actor if public_text and getattr(actor, "pk", None) else None
    action.save(update_fields=["public_text", "published_at", "published_by", "updated_at"])
    if action.concern_id is not None:
        timeline(
            action.concern,  # type: ignore[arg-type]
            actor=actor,
            kind=ConcernEvent.Kind.PUBLISHED,
            text=(_("Published: %(text)s") % {"text": public_text})
            if public_text
            else _("The public wording of “%(title)s” was withdrawn.") % {"title": action.title},
        )
    audit.record(actor=actor, action="action.publish", obj=action, summary={"published": bool(public_text)})
    return action


# --- Referrals -------------------------------------------------------------------------------------
@transaction.atomic
def referral_create(
    *,
    actor: Any,
    concern: Concern,
    organisation: Organisation | None,
    message: str,
    respond_by: dt.date | None,
    action: Action | None = None,
) -> Referral:
    """Hand a concern formally to the police or an authority: their liaison sees the message written by
    staff and the concern's non-identifying details, acknowledges it and answers by ``respond_by``."""
    enforce(actor, "concern.change", concern)
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if concern.sensitivity == Sensitivity.RESTRICTED:
        raise ValidationError(
            {
                "concern": [
                    _(
                        "A restricted concern cannot be referred: it must not reach an authority with details "
                        "that could identify anyone. Write a non-identifying account of it and lower its "
                        "sensitivity first, if that is safe."
                    )
                ]
            }
        )
    if concern.status not in REFERRAL_STATUSES:
        raise ValidationError(
            {
                "concern": [
                    _("Only an open concern can be referred (it is %(status)s).")
                    % {"status": str(Status(concern.status).label).lower()}
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    if organisation is None or organisation.kind not in AUTHORITY_KINDS:
        errors["organisation"] = [_("A concern is referred to the police or a local authority.")]
    elif not referral_organisations(concern.district).filter(pk=organisation.pk).exists():
        errors["organisation"] = [_("Choose the police or an authority of the concern's district.")]
    try:
        message = clean_text(message, field="message", limit=MAX_NOTE)
        _no_identifying_detail(message, "message")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if respond_by is None or not isinstance(respond_by, dt.date):
        errors["respond_by"] = [_("Say by when an answer is expected.")]
    elif respond_by < timezone.localdate():
        errors["respond_by"] = [_("The date for an answer cannot be in the past.")]
    if action is not None and (action.concern_id != concern.pk or action.state == Action.State.DROPPED):
        errors["action"] = [_("Choose one of this concern's actions, or none.")]
    if not errors and organisation is not None:
        waiting = Referral.objects.filter(concern=concern, organisation=organisation).exclude(
            state=Referral.State.RESPONDED
        )
        if waiting.exists():
            errors["organisation"] = [
                _("This concern is already with %(organisation)s, awaiting their answer.")
                % {"organisation": organisation}
            ]
    if errors or organisation is None or respond_by is None:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        programme=concern.programme,
        district=concern.district,
        concern=concern,
        action=action,
        organisation=organisation,
        message=message,
        respond_by=respond_by,
        sent_by=actor if getattr(actor, "pk", None) else None,
    )
    timeline(
        concern,
        actor=actor,
        kind=ConcernEvent.Kind.REFERRAL,
        text=_("Referred to %(organisation)s, answer by %(date)s: %(message)s")
        % {"organisation": organisation, "date": respond_by.isoformat(), "message": message},
    )
    audit.record(
        actor=actor,
        action="referral.create",
        obj=referral,
        summary={"concern": concern.reference, "organisation": organisation.pk, "respond_by": respond_by.isoformat()},
    )
    return referral


@transaction.atomic
def referral_acknowledge(*, actor: Any, referral: Referral) -> Referral:
    """The liaison says their organisation has received the referral (the answer follows)."""
    enforce(actor, "referral.respond", referral)
    referral = (
        Referral.objects.select_for_update(of=("self",)).select_related("organisation", "concern").get(pk=referral.pk)
    )
    if referral.state != Referral.State.SENT:
        raise ValidationError({"state": [_("This referral was already acknowledged.")]})
    referral.state = Referral.State.ACKNOWLEDGED
    referral.acknowledged_at = timezone.now()
    referral.acknowledged_by = actor if getattr(actor, "pk", None) else None
    referral.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "updated_at"])
    timeline(
        referral.concern,
        actor=actor,
        kind=ConcernEvent.Kind.REFERRAL,
        text=_("%(organisation)s acknowledged the referral.") % {"organisation": referral.organisation},
    )
    audit.record(actor=actor, action="referral.acknowledge", obj=referral)
    return referral


@transaction.atomic
def referral_respond(*, actor: Any, referral: Referral, response: str) -> Referral:
    """The organisation's answer (acknowledging it too, if that was not done). Staff of the lead may
    record an answer that came on paper."""
    enforce(actor, "referral.respond", referral)
    referral = (
        Referral.objects.select_for_update(of=("self",)).select_related("organisation", "concern").get(pk=referral.pk)
    )
    if referral.state == Referral.State.RESPONDED:
        raise ValidationError({"response": [_("This referral was already answered.")]})
    response = clean_text(response, field="response", limit=MAX_NOTE)
    now = timezone.now()
    who = actor if getattr(actor, "pk", None) else None
    if referral.acknowledged_at is None:
        referral.acknowledged_at, referral.acknowledged_by = now, who
    referral.state = Referral.State.RESPONDED
    referral.response = response
    referral.responded_at, referral.responded_by = now, who
    referral.save(
        update_fields=[
            "state",
            "acknowledged_at",
            "acknowledged_by",
            "response",
            "responded_at",
            "responded_by",
            "updated_at",
        ]
    )
    # The answer itself is on the referral (seen by the field and the liaison); the timeline, which the
    # working group's members read too, says only that it came.
    timeline(
        referral.concern,
        actor=actor,
        kind=ConcernEvent.Kind.REFERRAL,
        text=_("%(organisation)s answered the referral.") % {"organisation": referral.organisation},
    )
    audit.record(
        actor=actor, action="referral.respond", obj=referral, summary={"late": referral.respond_by < now.date()}
    )
    return referral


# --- Sign-offs and review --------------------------------------------------------------------------
def _outcome(outcome: str) -> str:
    if outcome not in (Status.RESOLVED, Status.PARTLY_RESOLVED):
        raise ValidationError({"outcome": [_("Sign off a resolution or a partial resolution.")]})
    return outcome


def _signable(concern: Concern) -> None:
    if concern.status != Status.IN_PROGRESS:
        raise ValidationError(
            {
                "concern": [
                    _("Sign-offs are given while the concern is in progress, before it is resolved (it is %(status)s).")
                    % {"status": str(Status(concern.status).label).lower()}
                ]
            }
        )


@transaction.atomic
def signoff_group(*, actor: Any, concern: Concern, note: str = "", outcome: str = Status.RESOLVED) -> SignOff:
    """The working group signs off that the concern is resolved (or partly resolved)."""
    enforce(actor, "concern.signoff_group", concern)
    if role_in(actor, concern.programme_id) == Role.GROUP_MEMBER:
        _must_see(actor, Concern, concern.pk)
    concern = Concern.objects.select_for_update(of=("self",)).select_related("group").get(pk=concern.pk)
    _signable(concern)
    outcome = _outcome(outcome)
    note = clean_text(note, field="note", required=False, limit=MAX_NOTE)
    if SignOff.objects.filter(concern=concern, organisation__isnull=True).exists():
        raise ValidationError({"concern": [_("The working group has already signed off.")]})
    signoff = SignOff.objects.create(
        concern=concern,
        organisation=None,
        outcome=outcome,
        signed_by=actor if getattr(actor, "pk", None) else None,
        note=note,
    )
    who = str(concern.group) if concern.group_id else _("The working group")
    timeline(
        concern,
        actor=actor,
        kind=ConcernEvent.Kind.SIGNOFF,
        text=_("%(who)s signed off: %(outcome)s.") % {"who": who, "outcome": str(Status(outcome).label).lower()},
    )
    audit.record(actor=actor, action="concern.signoff_group", obj=concern, summary={"outcome": outcome})
    return signoff


@transaction.atomic
def signoff_authority(
    *, actor: Any, concern: Concern, organisation: Organisation, note: str = "", outcome: str = Status.RESOLVED
) -> SignOff:
    """An organisation that owns one of the concern's actions (the police, an authority) signs off."""
    enforce(actor, "concern.signoff_authority", (concern, organisation))
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    _signable(concern)
    outcome = _outcome(outcome)
    note = clean_text(note, field="note", required=False, limit=MAX_NOTE)
    owns = ActionOwner.objects.filter(action__concern=concern, organisation=organisation).exclude(
        action__state=Action.State.DROPPED
    )
    if not owns.exists():
        raise ValidationError(
            {
                "organisation": [
                    _("%(organisation)s owns none of this concern's actions.") % {"organisation": organisation}
                ]
            }
        )
    if SignOff.objects.filter(concern=concern, organisation=organisation).exists():
        raise ValidationError(
            {"organisation": [_("%(organisation)s has already signed off.") % {"organisation": organisation}]}
        )
    signoff = SignOff.objects.create(
        concern=concern,
        organisation=organisation,
        outcome=outcome,
        signed_by=actor if getattr(actor, "pk", None) else None,
        note=note,
    )
    timeline(
        concern,
        actor=actor,
        kind=ConcernEvent.Kind.SIGNOFF,
        text=_("%(who)s signed off: %(outcome)s.")
        % {"who": organisation, "outcome": str(Status(outcome).label).lower()},
    )
    audit.record(
        actor=actor,
        action="concern.signoff_authority",
        obj=concern,
        summary={"organisation": organisation.pk, "outcome": outcome},
    )
    return signoff


def _rating(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({field: [_("Choose a rating from 1 (very unsafe) to 5 (safe).")]})
    return value


@transaction.atomic
def review_record(
    *,
    actor: Any,
    concern: Concern,
    reviewed_on: dt.date | None,
    rating_before: int,
    rating_after: int,
    what_changed: str,
) -> Review:
    """Whether people feel the problem is better: how safe they felt before and feel now (1 to 5), and
    what changed. The concern then becomes reviewed."""
    enforce(actor, "concern.review", concern)
    if role_in(actor, concern.programme_id) == Role.GROUP_MEMBER:
        _must_see(actor, Concern, concern.pk)
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if concern.status not in REVIEW_STATUSES:
        raise ValidationError(
            {
                "concern": [
                    _("A review is recorded once the concern is closed (it is %(status)s).")
                    % {"status": str(Status(concern.status).label).lower()}
                ]
            }
        )
    if Review.objects.filter(concern=concern).exists():
        raise ValidationError({"concern": [_("This concern has been reviewed already.")]})
    errors: dict[str, list[str]] = {}
    for field, value in (("rating_before", rating_before), ("rating_after", rating_after)):
        try:
            _rating(value, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        what_changed = clean_text(what_changed, field="what_changed", limit=MAX_NOTE)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if reviewed_on is None or not isinstance(reviewed_on, dt.date):
        errors["reviewed_on"] = [_("Enter a date.")]
    elif reviewed_on > timezone.localdate():
        errors["reviewed_on"] = [_("The review date cannot be in the future.")]
    if errors or reviewed_on is None:
        raise ValidationError(errors)
    review = Review.objects.create(
        concern=concern,
        reviewed_on=reviewed_on,
        rating_before=rating_before,
        rating_after=rating_after,
        what_changed=what_changed,
        reviewed_by=actor if getattr(actor, "pk", None) else None,
    )
    # The ratings only: what people said may identify them, and stays on the review.
    timeline(
        concern,
        actor=actor,
        kind=ConcernEvent.Kind.REVIEW,
        text=_("Reviewed: how safe people feel went from %(before)s to %(after)s (of 5).")
        % {"before": rating_before, "after": rating_after},
    )
    audit.record(
        actor=actor,
        action="concern.review",
        obj=concern,
        summary={"rating_before": rating_before, "rating_after": rating_after},
    )
    move(concern, actor=actor, to_status=Status.REVIEWED, by_service=True)
    return review
