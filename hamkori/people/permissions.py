from typing import Any

from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ALLOW, Decision, grant_in, role_in, roles_rule, rule
from hamkori.core.roles import LEAD_ROLES, Role

rule("person.view")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("person.create")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("person.merge")(roles_rule(Role.ADMIN, Role.STAFF))
rule("person.export")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("person.import")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("person.link_account")(roles_rule(Role.ADMIN, Role.STAFF))
rule("sector.manage")(roles_rule(Role.ADMIN))


def _lead_or_owning_partner(user: Any, person: Any) -> bool:
    """The lead organisation (admin, staff), or a partner of the organisation that recorded ``person``."""
    role = role_in(user, person.programme_id)
    if role in LEAD_ROLES:
        return True
    grant = grant_in(user, person.programme_id)
    return bool(
        role == Role.PARTNER
        and grant is not None
        and grant.organisation_id
        and grant.organisation_id == person.owner_id
    )


@rule("person.change")
def _change(user: Any, person: Any) -> Decision:
    """Profile, sensitivity, consents, names and contacts: the lead organisation, and the partner
    organisation that recorded the person. Another partner who sees the person (their districts
    overlap) may not change or erase another organisation's record."""
    if _lead_or_owning_partner(user, person):
        return ALLOW
    if role_in(user, person.programme_id) == Role.PARTNER:
        return Decision(
            False,
            _("Only the lead organisation and the organisation that recorded this person can change this record."),
        )
    return Decision(False, _("Your role in this programme does not allow this."))


@rule("person.view_personal_data")
def _personal_data(user: Any, person: Any) -> Decision:
    """Names and contacts: the lead organisation, and the partner organisation that recorded the person."""
    if _lead_or_owning_partner(user, person):
        return ALLOW
    return Decision(
        False, _("Only the lead organisation and the organisation that recorded this person see names and contacts.")
    )
