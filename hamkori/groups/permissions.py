from hamkori.core.access import roles_rule, rule
from hamkori.core.roles import ALL_ROLES, Role

rule("workinggroup.view")(roles_rule(*ALL_ROLES))
rule("workinggroup.change")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER))
rule("workinggroup.justify_activation")(roles_rule(Role.ADMIN, Role.STAFF))
rule("balancepolicy.change")(roles_rule(Role.ADMIN))
