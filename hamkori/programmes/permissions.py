from hamkori.access.policy import roles_rule, rule
from hamkori.core.roles import ALL_ROLES, Role

rule("programme.view")(roles_rule(*ALL_ROLES))
rule("programme.change")(roles_rule(Role.ADMIN))
#: The export pages: row-level exports for the field roles (``person.export``, ``workinggroup.export``),
#: counts by district for donors.
rule("programme.export")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER, Role.DONOR))
