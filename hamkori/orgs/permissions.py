"""Organisations are shared by every programme of the installation (domain.md, "Boundaries nest"):
installation administrators edit them; a programme administrator may add a new one (and link or unlink
partners to their own programme, which is ``programme.change``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ALLOW, Decision, grants_for, rule
from hamkori.core.roles import Role


@rule("organisation.create")
def may_create_organisation(user: Any, obj: Any) -> Decision:
    if user.is_superuser or any(grant.role == Role.ADMIN for grant in grants_for(user)):
        return ALLOW
    return Decision(False, _("Only programme administrators add organisations."))


@rule("organisation.change")
def may_change_organisation(user: Any, obj: Any) -> Decision:
    if user.is_superuser:
        return ALLOW
    return Decision(
        False,
        _("Organisations are shared by every programme: only an installation administrator may change one."),
    )
