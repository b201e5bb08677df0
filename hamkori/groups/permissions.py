from hamkori.access.policy import roles_rule, rule
from hamkori.core.roles import ALL_ROLES, FIELD_ROLES, LEAD_ROLES, Role

#: The groups pages and a group (obj: the programme or a group). Liaisons and donors see groups only
#: as counts on the balance page (the scope agrees: WorkingGroup.scope has no rows for them).
rule("workinggroup.view")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER, Role.GROUP_MEMBER))
rule("workinggroup.change")(roles_rule(*FIELD_ROLES))
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
