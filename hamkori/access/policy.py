"""The one place that decides access (see docs/adr/0002-access-control.md and 0007-layers.md).

* :class:`Grant` — a user's role in one programme, for a set of places, on behalf of an organisation.
* :class:`ScopedQuerySet` / ``Model.objects.visible_to(user)`` — every list starts here.
* :func:`get_for_user` — fetch and authorise a single record together; out of scope answers 404.
* :func:`decide` — the permission registry: ``Decision(allowed, reason)`` per action.

Default deny everywhere: no grant, no rule, no row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hamkori.core.roles import FIELD_ROLES, LEAD_ROLES, Role

M = TypeVar("M", bound=models.Model)


# --- Grants ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grant:
    programme_id: int
    role: str
    organisation_id: int | None
    place_paths: tuple[str, ...] = ()

    @property
    def whole_programme(self) -> bool:
        return self.role in LEAD_ROLES or self.role == Role.DONOR


GrantLoader = Callable[[Any], list[Grant]]
_GRANT_LOADERS: list[GrantLoader] = []


def register_grant_loader(loader: GrantLoader) -> GrantLoader:
    """Register ``loader(user) -> list[Grant]``: where grants are stored is not access's business
    (accounts registers its role assignments in ``AccountsConfig.ready``; access never imports
    accounts, see docs/adr/0007-layers.md). Registering the same function twice is a no-op."""
    if loader not in _GRANT_LOADERS:
        _GRANT_LOADERS.append(loader)
    return loader


def grants_for(user: Any) -> list[Grant]:
    """The user's active grants, read once per request and cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.locked_at:
        return []
    cached = getattr(user, "_hamkori_grants", None)
    if cached is None:
        cached = [grant for loader in _GRANT_LOADERS for grant in loader(user)]
        user._hamkori_grants = cached
    return cached


def grant_in(user: Any, programme: Any) -> Grant | None:
    programme_id = getattr(programme, "pk", programme)
    for grant in grants_for(user):
        if grant.programme_id == programme_id:
            return grant
    return None


def role_in(user: Any, programme: Any) -> str | None:
    if getattr(user, "is_superuser", False) and user.is_active and not user.locked_at:
        return Role.ADMIN
    grant = grant_in(user, programme)
    return grant.role if grant else None


def place_q(lookup: str, paths: Iterable[str]) -> Q:
    """One SQL condition: the place at ``lookup`` (a foreign key to Place) lies in or under any of
    ``paths``. It reads ``place_id IN (SELECT id FROM places WHERE path LIKE 'p%' OR ...)``: the
    places table is small, and the big table is then searched by its place index."""
    from hamkori.places.models import Place

    under = Q(pk__in=[])
    for path in paths:
        under |= Q(path__startswith=path)
    return Q(**{f"{lookup}__in": Place.objects.filter(under).values("pk")})


# --- Scoping --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScopeSpec:
    """How a model's rows relate to programmes, places, owners and sensitivity.

    Each entry is an ORM lookup path from the model, or None when the model has no such relation.
    ``roles`` are the roles that see rows at all; ``extra`` adds role-specific conditions
    (for example a group member's own group) as ``role -> fn(grant, user) -> Q``.
    """

    programme: str | None = "programme"
    place: str | None = None
    owner: str | None = None
    sensitivity: str | None = None
    roles: frozenset[str] = FIELD_ROLES
    extra: dict[str, Callable[[Grant, Any], Q]] = field(default_factory=dict)

    def condition(self, grant: Grant, user: Any) -> Q | None:
        if grant.role in self.extra:
            base = self.extra[grant.role](grant, user)
        elif grant.role in self.roles:
            base = Q()
        else:
            return None
        if self.programme:
            base &= Q(**{self.programme: grant.programme_id})
        if self.place and not grant.whole_programme:
            base &= place_q(self.place, grant.place_paths)
        if self.sensitivity:
            restricted = Q(**{self.sensitivity: "restricted"})
            if grant.role == Role.PARTNER and self.owner and grant.organisation_id:
                base &= ~restricted | Q(**{self.owner: grant.organisation_id})
            elif grant.role not in LEAD_ROLES:
                base &= ~restricted
        return base


class ScopedQuerySet(models.QuerySet[M]):
    def visible_to(self, user: Any) -> ScopedQuerySet[M]:
        spec: ScopeSpec = self.model.scope  # type: ignore[attr-defined]
        if not getattr(user, "is_authenticated", False) or not user.is_active or user.locked_at:
            return self.none()
        if user.is_superuser:
            return self.all()
        q = Q(pk__in=[])
        for grant in grants_for(user):
            cond = spec.condition(grant, user)
            if cond is not None:
                q |= cond
        return self.filter(q).distinct() if spec.extra else self.filter(q)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


# --- Decisions ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str | Promise = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)
Rule = Callable[[Any, Any], Decision]
_RULES: dict[str, Rule] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    """Register the rule that answers ``action`` (e.g. ``"programme.change"``)."""

    def register(fn: Rule) -> Rule:
        if action in _RULES:
            raise ValueError(f"A rule for {action!r} is already registered.")
        _RULES[action] = fn
        return fn

    return register


def registered_actions() -> list[str]:
    return sorted(_RULES)


def decide(user: Any, action: str, obj: Any = None) -> Decision:
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.locked_at:
        return Decision(False, _("Please sign in."))
    fn = _RULES.get(action)
    if fn is None:
        return Decision(False, _("This action is not allowed."))
    return fn(user, obj)


def roles_rule(*roles: str) -> Rule:
    """A rule allowing the given roles in the object's programme (obj is the programme or has one)."""
    allowed = frozenset(roles)

    def check(user: Any, obj: Any) -> Decision:
        programme = obj if obj is None or obj._meta.model_name == "programme" else obj.programme
        role = role_in(user, programme) if programme is not None else None
        if role in allowed:
            return ALLOW
        return Decision(False, _("Your role in this programme does not allow this."))

    return check


def require(user: Any, action: str, obj: Any = None) -> None:
    decision = decide(user, action, obj)
    if not decision:
        deny(user, action, obj, decision.reason)


def enforce(actor: Any, action: str, obj: Any = None) -> None:
    """Defence in depth inside a service: refuse an actor the registry refuses (views and the API check
    first, through ``get_for_user``, and audit the refusal). ``actor=None`` is the system (migrations,
    the demo, management commands)."""
    if actor is None:
        return
    decision = decide(actor, action, obj)
    if not decision:
        raise PermissionDenied(str(decision.reason))


def deny(user: Any, action: str, obj: Any = None, reason: Any = "", *, hide: bool = False) -> None:
    """Record a refused attempt in the audit log and raise 404 (``hide``) or 403."""
    from hamkori.core.audit import record

    record(
        actor=user,
        action=f"{action}.denied",
        outcome="denied",
        obj=obj if isinstance(obj, models.Model) else None,
        summary={"reason": str(reason)},
    )
    if hide:
        raise Http404
    raise PermissionDenied(str(reason))


def get_for_user(user: Any, model: type[M], action: str = "view", **lookup: Any) -> M:
    """Fetch one record through ``visible_to`` and authorise ``action`` on it.

    Out of scope (or absent) answers 404 so a record's existence does not leak; in scope but not
    allowed answers 403 with the registry's reason. A view of a restricted record is audited.
    """
    obj = model.objects.visible_to(user).filter(**lookup).first()  # type: ignore[attr-defined]
    label = model._meta.model_name
    if obj is None:
        from hamkori.core.audit import record

        programme = lookup.get("programme")
        if programme is None and label == "programme" and "code" in lookup:
            programme = model._default_manager.filter(code=lookup["code"]).first()
        record(
            actor=user,
            action=f"{label}.{action}.denied",
            outcome="denied",
            programme=programme,
            object_type=model._meta.label_lower,
            object_id=str(lookup.get("pk", lookup.get("id", "")) or next(iter(lookup.values()), ""))[:64],
            summary={"reason": "not found or out of scope", "lookup": {k: str(v) for k, v in lookup.items()}},
        )
        raise Http404
    if action != "view" or f"{label}.view" in _RULES:
        require(user, f"{label}.{action}", obj)
    if getattr(obj, "sensitivity", None) == "restricted" and action == "view":
        from hamkori.core.audit import record

        record(actor=user, action=f"{label}.view_restricted", obj=obj)
    return obj
