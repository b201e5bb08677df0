from hamkori.core.access import roles_rule, rule
from hamkori.core.roles import Role

rule("user.manage")(roles_rule(Role.ADMIN))
