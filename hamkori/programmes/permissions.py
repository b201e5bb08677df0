from hamkori.core.access import roles_rule, rule
from hamkori.core.roles import ALL_ROLES, Role

rule("programme.view")(roles_rule(*ALL_ROLES))
rule("programme.change")(roles_rule(Role.ADMIN))
