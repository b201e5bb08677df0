from typing import Any

from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ALLOW, Decision, grant_in, role_in, roles_rule, rule
from hamkori.core.roles import ALL_ROLES, FIELD_ROLES, LEAD_ROLES, Role

#: The groups pages and a group (obj: the programme or a group). Liaisons and donors see groups only
#: as counts on the balance page (the scope agrees: WorkingGroup.scope has no rows for them).
rule("workinggroup.view")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER, Role.GROUP_MEMBER))
rule("workinggroup.justify_activation")(roles_rule(*LEAD_ROLES))
#: Row-level export of groups and members (others get counts by district: ``programme.export``).
rule("workinggroup.export")(roles_rule(*FIELD_ROLES))
#: The representation balance page (counts only for roles outside the field).
rule("workinggroup.view_balance")(roles_rule(*ALL_ROLES))
#: The balance as of any date (others: as of reporting dates only, so two dates cannot be subtracted).
rule("workinggroup.balance_any_date")(roles_rule(*LEAD_ROLES))
#: The balance's unprotected tables (others: counts under disclosure control).
rule("workinggroup.balance_detail")(roles_rule(*FIELD_ROLES))
rule("balancepolicy.change")(roles_rule(Role.ADMIN))
#: The programme's results under disclosure control on the home page, with the aggregate exports:
#: the funder's view of the programme (field roles see the groups themselves instead).
rule("workinggroup.view_results")(roles_rule(Role.DONOR))

_may_create = roles_rule(*FIELD_ROLES)


@rule("workinggroup.change")
def _change(user: Any, obj: Any) -> Decision:
    """Creating a group (``obj`` is the programme): lead roles and partners. Changing a group, its
    status or its memberships: lead roles, and a partner of the organisation that facilitates it
    (``owner``), or of any partner organisation covering its district while the lead has assigned
    no owner. A partner never changes a group another organisation facilitates (ADR 0005)."""
    if obj is None or obj._meta.model_name == "programme":
        return _may_create(user, obj)
    role = role_in(user, obj.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    if role == Role.PARTNER:
        grant = grant_in(user, obj.programme_id)
        if obj.owner_id is None or (grant is not None and grant.organisation_id == obj.owner_id):
            return ALLOW
        return Decision(
            False, _("Only the lead organisation and the organisation that facilitates this group can change it.")
        )
    return Decision(False, _("Your role in this programme does not allow this."))
