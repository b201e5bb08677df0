"""The audit log as sentences a data-protection officer reads in their language: each known action
has one translated sentence; an unknown one falls back to a generic sentence. Object labels come from
the model's translated ``verbose_name``; a person is named by their pseudonymous code, never their
name; summaries become short key/value text without UUIDs or vault keys."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role

UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
MAX_LISTED = 5

#: Action code -> its label in the filter (and in the generic sentence).
ACTION_LABELS: dict[str, Any] = {
    "auth.sign_in": gettext_lazy("signed in"),
    "auth.sign_in_failed": gettext_lazy("failed to sign in"),
    "auth.sign_out": gettext_lazy("signed out"),
    "auth.second_factor_failed": gettext_lazy("entered a wrong second-factor code"),
    "vault.read": gettext_lazy("viewed names"),
    "vault.put": gettext_lazy("saved names or contacts"),
    "vault.erase": gettext_lazy("erased names and contacts"),
    "person.view": gettext_lazy("viewed a person's record"),
    "person.create": gettext_lazy("recorded a person"),
    "person.update": gettext_lazy("changed a person's record"),
    "person.merge": gettext_lazy("merged two records of a person"),
    "person.export": gettext_lazy("exported people"),
    "person.import": gettext_lazy("imported people"),
    "person.search": gettext_lazy("searched people by name"),
    "consent.give": gettext_lazy("recorded consent"),
    "consent.withdraw": gettext_lazy("recorded a withdrawn consent"),
    "workinggroup.create": gettext_lazy("created a working group"),
    "workinggroup.update": gettext_lazy("changed a working group"),
    "workinggroup.export": gettext_lazy("exported working groups"),
    "membership.add": gettext_lazy("added a member to a working group"),
    "membership.end": gettext_lazy("ended a membership"),
    "membership.reopen": gettext_lazy("undid the ending of a membership"),
    "user.create": gettext_lazy("created an account"),
    "user.invite": gettext_lazy("invited a user"),
    "user.invitation_accept": gettext_lazy("accepted an invitation"),
    "user.lock": gettext_lazy("locked an account"),
    "user.unlock": gettext_lazy("unlocked an account"),
    "user.mfa_reset": gettext_lazy("reset a second factor"),
    "role.assign": gettext_lazy("gave a role"),
    "role.revoke": gettext_lazy("revoked a role"),
    "programme.create": gettext_lazy("created the programme"),
    "programme.update": gettext_lazy("changed the programme"),
    "programme.locations": gettext_lazy("changed the programme's locations"),
    "programme.partner": gettext_lazy("changed a partner's districts"),
    "auditevent.export": gettext_lazy("exported the audit log"),
    "event.create": gettext_lazy("recorded an event"),
    "event.update": gettext_lazy("changed an event"),
    "event.hold": gettext_lazy("marked an event as held"),
    "event.cancel": gettext_lazy("cancelled an event"),
    "event.vocabulary": gettext_lazy("changed the kinds of event, training topics or attendee roles"),
    "event.attendance": gettext_lazy("recorded who took part in an event"),
    "event.tally": gettext_lazy("recorded the count of an event's audience"),
    "event.scores": gettext_lazy("recorded training test scores"),
    "event.attendance_import": gettext_lazy("imported an attendance sheet"),
    "event.sheet": gettext_lazy("printed a sign-in sheet"),
    "event.file.upload": gettext_lazy("uploaded a file to an event"),
    "event.file.download": gettext_lazy("downloaded a file of an event"),
    "event.file.delete": gettext_lazy("removed a file from an event"),
    "event.commitment": gettext_lazy("recorded a commitment"),
    "event.summary.export": gettext_lazy("exported the participation summary"),
    "calendar.feed.create": gettext_lazy("created a private calendar address"),
    "calendar.feed.revoke": gettext_lazy("revoked a private calendar address"),
    "grants.vocabulary": gettext_lazy("changed the campaign formats or do-no-harm questions"),
    "grantcall.create": gettext_lazy("created a call for proposals"),
    "grantcall.update": gettext_lazy("changed a call for proposals"),
    "grantcall.status": gettext_lazy("opened or closed a call for proposals"),
    "application.create": gettext_lazy("started a grant application"),
    "application.update": gettext_lazy("changed a grant application"),
    "application.submit": gettext_lazy("submitted a grant application"),
    "application.take_on": gettext_lazy("took on a public grant application"),
    "application.withdraw": gettext_lazy("withdrew a grant application"),
    "application.screen": gettext_lazy("screened an application for do-no-harm"),
    "application.approve": gettext_lazy("approved a grant application"),
    "application.reject": gettext_lazy("rejected a grant application"),
    "application.changes": gettext_lazy("asked for changes to a grant application"),
    "application.file.upload": gettext_lazy("attached a file to a grant application"),
    "application.file.delete": gettext_lazy("removed a file from a grant application"),
    "application.file.download": gettext_lazy("opened a file attached to a grant application"),
    "review.assign": gettext_lazy("assigned a reviewer"),
    "review.unassign": gettext_lazy("removed a reviewer"),
    "review.declare": gettext_lazy("declared on a conflict of interest"),
    "review.save": gettext_lazy("saved review scores"),
    "review.submit": gettext_lazy("submitted a review"),
    "grant.award": gettext_lazy("awarded a grant"),
    "grant.sign": gettext_lazy("recorded a signed grant agreement"),
    "grant.plan": gettext_lazy("set a grant's tranches"),
    "grant.release": gettext_lazy("released a tranche"),
    "grant.report": gettext_lazy("submitted a grant report"),
    "grant.report_approve": gettext_lazy("approved a grant report"),
    "grant.report_return": gettext_lazy("returned a grant report for changes"),
    "grant.close": gettext_lazy("closed a grant"),
    "grants.rate": gettext_lazy("entered an exchange rate"),
    "grant.events": gettext_lazy("linked events to a grant"),
    "grants.ledger.export": gettext_lazy("exported the grants ledger"),
    "campaign.product": gettext_lazy("recorded a campaign product"),
    "campaign.product_update": gettext_lazy("changed a campaign product"),
    "campaign.reach": gettext_lazy("recorded a campaign's reach"),
    "campaign.reach_update": gettext_lazy("changed a campaign's reach"),
    "campaign.file.upload": gettext_lazy("uploaded a picture or file of a campaign product"),
    "campaign.file.remove": gettext_lazy("removed the picture or file of a campaign product"),
    "campaign.file.download": gettext_lazy("opened the picture or file of a campaign product"),
    "campaign.summary.export": gettext_lazy("exported the campaign reach summary"),
    "concern.create": gettext_lazy("recorded a concern"),
    "concern.update": gettext_lazy("changed a concern"),
    "concern.move": gettext_lazy("moved a concern to another stage"),
    "concern.merge": gettext_lazy("merged two concerns"),
    "concern.note": gettext_lazy("added a note to a concern"),
    "concern.publish_note": gettext_lazy("published what was done about a concern"),
    "concern.intake_sealed": gettext_lazy("sealed public submissions into the audit log"),
    "concern.vocabulary": gettext_lazy("changed the drivers, affected groups or criteria"),
    "concern.district_page_publish": gettext_lazy("published a district's public page"),
    "concern.district_page_withdraw": gettext_lazy("withdrew a district's public page"),
    "concern.vocabulary.create": gettext_lazy("added a driver, affected group or criterion"),
    "concern.vocabulary.update": gettext_lazy("changed a driver, affected group or criterion"),
    "round.create": gettext_lazy("set up a prioritisation round"),
    "round.shortlist": gettext_lazy("changed a round's shortlist"),
    "round.score": gettext_lazy("entered prioritisation scores"),
    "round.decide": gettext_lazy("decided a prioritisation round"),
    "action.create": gettext_lazy("agreed an action"),
    "action.update": gettext_lazy("recorded progress on an action"),
    "action.publish": gettext_lazy("published an action's public wording"),
    "referral.create": gettext_lazy("referred a concern to an authority"),
    "referral.acknowledge": gettext_lazy("acknowledged a referral"),
    "referral.respond": gettext_lazy("answered a referral"),
    "concern.signoff_group": gettext_lazy("signed off a concern for the working group"),
    "concern.signoff_authority": gettext_lazy("signed off a concern for an authority"),
    "concern.review": gettext_lazy("recorded a review of a concern"),
}

#: Action code -> its sentence. Placeholders: %(actor)s, %(object)s, %(count)s, %(people)s.
SENTENCES: dict[str, Any] = {
    "auth.sign_in": gettext_lazy("%(actor)s signed in."),
    "auth.sign_in_failed": gettext_lazy("A sign-in as %(object)s failed."),
    "auth.sign_out": gettext_lazy("%(actor)s signed out."),
    "vault.read": gettext_lazy("%(actor)s viewed the names of %(count)s people: %(people)s."),
    "vault.put": gettext_lazy("%(actor)s saved the name or contacts of %(people)s."),
    "vault.erase": gettext_lazy("%(actor)s erased the name and contacts of %(people)s."),
    "person.view": gettext_lazy("%(actor)s viewed the record of %(object)s."),
    "person.create": gettext_lazy("%(actor)s recorded %(object)s."),
    "person.update": gettext_lazy("%(actor)s changed the record of %(object)s."),
    "person.export": gettext_lazy("%(actor)s exported people."),
    "workinggroup.export": gettext_lazy("%(actor)s exported working groups."),
    "user.invite": gettext_lazy("%(actor)s invited %(object)s."),
    "role.assign": gettext_lazy("%(actor)s gave %(object)s a role."),
    "user.lock": gettext_lazy("%(actor)s locked the account of %(object)s."),
    "user.unlock": gettext_lazy("%(actor)s unlocked the account of %(object)s."),
    "auditevent.export": gettext_lazy("%(actor)s exported the audit log."),
}
GENERIC = gettext_lazy("%(actor)s: %(action)s (%(object)s).")
REFUSED = gettext_lazy("Refused: %(actor)s tried “%(action)s” (%(object)s).")


def action_choices() -> list[tuple[str, str]]:
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda c: c[1])


def _object_label(event: AuditEvent) -> str:
    if not event.object_type:
        return ""
    app_label, _dot, model_name = event.object_type.partition(".")
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return event.object_type
    return str(model._meta.verbose_name)


#: The summary keys services write, in the reader's language (an unknown key is shown as written).
KEY_LABELS: dict[str, Any] = {
    "account": gettext_lazy("account"),
    "aggregate": gettext_lazy("counts only"),
    "authenticators": gettext_lazy("authenticators"),
    "budget": gettext_lazy("budget"),
    "code": gettext_lazy("code"),
    "created": gettext_lazy("new"),
    "currency": gettext_lazy("currency"),
    "district": gettext_lazy("district"),
    "email": gettext_lazy("email address"),
    "expires": gettext_lazy("expires"),
    "fields": gettext_lazy("fields"),
    "filters": gettext_lazy("filters"),
    "format": gettext_lazy("format"),
    "found": gettext_lazy("found"),
    "from": gettext_lazy("before"),
    "joined_on": gettext_lazy("joined"),
    "justified": gettext_lazy("justified"),
    "kind": gettext_lazy("kind"),
    "left_on": gettext_lazy("left"),
    "matched": gettext_lazy("already registered"),
    "membership": gettext_lazy("membership"),
    "memberships": gettext_lazy("memberships"),
    "merged": gettext_lazy("merged"),
    "method": gettext_lazy("how"),
    "name": gettext_lazy("name"),
    "organisation": gettext_lazy("organisation"),
    "person": gettext_lazy("person"),
    "place": gettext_lazy("place"),
    "places": gettext_lazy("places"),
    "previous": gettext_lazy("before"),
    "programme": gettext_lazy("programme"),
    "purpose": gettext_lazy("purpose"),
    "reason": gettext_lazy("reason"),
    "replaced": gettext_lazy("replaced"),
    "role": gettext_lazy("role"),
    "rows": gettext_lazy("rows"),
    "sectors": gettext_lazy("sectors"),
    "sessions": gettext_lazy("sessions"),
    "status": gettext_lazy("status"),
    "to": gettext_lazy("after"),
    "to_status": gettext_lazy("new status"),
    "tokens": gettext_lazy("tokens"),
    "type": gettext_lazy("type"),
    "unchanged": gettext_lazy("unchanged"),
    "updated": gettext_lazy("updated"),
    "verified": gettext_lazy("verified"),
}


def _label(key: str) -> str:
    return str(KEY_LABELS.get(key, key.replace("_", " ")))


def _value(key: str, value: Any) -> str:
    """A value in the reader's language where it is one of ours (a role), else as written."""
    if key == "role" and value in Role.values:
        return str(Role(value).label)
    return _short(value)


def _short(value: Any) -> str:
    if isinstance(value, list):
        items = [_short(v) for v in value if not (isinstance(v, str) and UUID.match(v))]
        more = len(value) - len(items[:MAX_LISTED])
        text = ", ".join(items[:MAX_LISTED])
        return text + (f", … (+{more})" if more > 0 else "")
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_value(k, v)}" for k, v in value.items() if not _hidden(k, v))
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and UUID.match(value):
        return value[:8] + "…"
    return str(value)[:80]


def _hidden(key: str, value: Any) -> bool:
    return "key" in key or (isinstance(value, str) and bool(UUID.match(value)))


def details(summary: dict[str, Any]) -> str:
    """The summary as short key/value text: no vault keys, no UUIDs, long lists cut short."""
    if not isinstance(summary, dict):
        return ""
    return "; ".join(
        f"{_label(key)}: {_value(key, value)}" for key, value in summary.items() if not _hidden(key, value)
    )


def vault_keys(events: Iterable[AuditEvent]) -> set[str]:
    keys: set[str] = set()
    for event in events:
        if event.action.startswith("vault."):
            keys.update(str(k) for k in (event.summary or {}).get("subject_keys", []) if isinstance(k, str))
            if event.object_id:
                keys.add(event.object_id)
    return keys


def codes_for(keys: set[str]) -> dict[str, str]:
    """Pseudonymous person codes for vault keys (one query; people lie above accounts: no import)."""
    if not keys:
        return {}
    person = apps.get_model("people", "Person")
    valid = [k for k in keys if UUID.match(k)]
    return {str(k): code for k, code in person.objects.filter(vault_key__in=valid).values_list("vault_key", "code")}


def sentence(event: AuditEvent, codes: dict[str, str]) -> str:
    actor = event.actor_label if event.actor_id else _("the system")
    if event.actor_id and event.actor is not None:
        actor = str(event.actor)
    obj = event.object_repr
    if event.object_type == "people.person" or not obj or UUID.search(obj.split()[-1] if obj.split() else ""):
        obj = obj if event.object_type == "people.person" else _object_label(event)
    summary = event.summary or {}
    keys = [str(k) for k in summary.get("subject_keys", [])] or ([event.object_id] if event.object_id else [])
    people = [codes.get(k, "?") for k in keys]
    listed = ", ".join(people[:MAX_LISTED]) + (", …" if len(people) > MAX_LISTED else "")
    values = {
        "actor": actor,
        "object": obj or _object_label(event) or "—",
        "count": summary.get("count", len(people)),
        "people": listed or "—",
        "action": str(ACTION_LABELS.get(event.action, event.action)),
    }
    if event.outcome == AuditEvent.Outcome.DENIED:
        base = event.action.removesuffix(".denied")
        values["action"] = str(ACTION_LABELS.get(base, base))
        return str(REFUSED) % values
    template = SENTENCES.get(event.action, GENERIC)
    return str(template) % values
