"""Who may do what with events (docs/adr/0002-access-control.md, 0010-events-and-attendance.md).

Seeing an event is decided by its scope (``Event.scope``): field roles by district, a group member the
events of their groups, a liaison what their organisation organised or owns a commitment of. These
rules decide acting. A partner changes only the events her organisation organised: a partner of another
organisation who works in the same district sees the event but cannot change it or its attendance.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ALLOW, Decision, decide, grant_in, role_in, roles_rule, rule
from hamkori.core.roles import FIELD_ROLES, LEAD_ROLES, Role

NOT_YOUR_ROLE = Decision(False, _("Your role in this programme does not allow this."))

#: The calendar, lists and event pages (obj: the programme or an event; the scope decides which).
rule("event.view")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON))
rule("event.create")(roles_rule(*FIELD_ROLES))
#: The participation summary: counts only, under disclosure control for donors.
rule("event.summary")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER, Role.DONOR))
#: The programme's vocabulary of events: kinds, training topics, attendee roles.
rule("event.vocabulary")(roles_rule(Role.ADMIN))


@rule("event.change")
def _change(user: Any, event: Any) -> Decision:
    """Editing, holding, cancelling, attendance, scores, commitments, files: lead roles, and a partner
    of the organisation that organised the event."""
    if event is None or event._meta.model_name == "programme":
        return roles_rule(*FIELD_ROLES)(user, event)
    role = role_in(user, event.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    if role == Role.PARTNER:
        grant = grant_in(user, event.programme_id)
        if grant is not None and grant.organisation_id == event.organiser_id:
            return ALLOW
        return Decision(
            False, _("Only the lead organisation and the organisation that organised this event can change it.")
        )
    return NOT_YOUR_ROLE


@rule("event.view_people")
def _view_people(user: Any, event: Any) -> Decision:
    """Who came (named participants, scores), the files (signed sheets, photos) and the sign-in sheet: the
    lead roles and the organisation that organised the event. A partner of another organisation working
    in the same district sees the event and its counts, not who was there; a group member, a liaison and
    a donor see counts and commitments only."""
    role = role_in(user, event.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    if role == Role.PARTNER:
        grant = grant_in(user, event.programme_id)
        if grant is not None and grant.organisation_id == event.organiser_id:
            return ALLOW
        return Decision(
            False, _("Only the lead organisation and the organisation that organised this event can see who took part.")
        )
    return Decision(False, _("Only the lead organisation and partners can see who took part."))


def commitment_change(user: Any, action: Any) -> Decision | None:
    """``concerns``' hook for an action without a concern: a commitment is changed by whoever may change
    its event, and by the liaison of an owner organisation (decided by ``action.change`` itself)."""
    commitment = getattr(action, "commitment", None) if action.pk else None
    if commitment is None:
        return None
    if role_in(user, action.programme_id) == Role.PARTNER:
        return decide(user, "event.change", commitment.event)
    return None
