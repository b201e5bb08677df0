from typing import Any

from django.utils.translation import gettext_lazy as _

from hamkori.core.access import ALLOW, Decision, grant_in, role_in, roles_rule, rule
from hamkori.core.roles import LEAD_ROLES, Role

rule("person.view")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("person.change")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("person.create")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("person.merge")(roles_rule(Role.ADMIN, Role.STAFF))
rule("person.export")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("person.import")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("sector.manage")(roles_rule(Role.ADMIN))


@rule("person.view_personal_data")
def _personal_data(user: Any, person: Any) -> Decision:
    """Names and contacts: the lead organisation, and the partner organisation that recorded the person."""
    role = role_in(user, person.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    grant = grant_in(user, person.programme_id)
    if (
        role == Role.PARTNER
        and grant is not None
        and grant.organisation_id
        and grant.organisation_id == person.owner_id
    ):
        return ALLOW
    return Decision(
        False, _("Only the lead organisation and the organisation that recorded this person see names and contacts.")
    )
