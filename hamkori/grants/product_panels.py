"""The grant page's "Campaign products and reach" section (registered in ``GrantsConfig.ready`` with
``grants.panels.register_grant_panel``): the grant's products the user may open, each with the people it
reached, the copies handed out and its distributions, and a link to record another product for the grant.

A fixed number of queries (one for the products with their totals), whatever the number of products."""

from __future__ import annotations

from typing import Any

from hamkori.access.policy import decide
from hamkori.grants.models import Grant, GrantStatus
from hamkori.grants.panels import Panel
from hamkori.grants.reach_summary import products_of, with_reach_totals


def product_panel(user: Any, grant: Grant) -> list[Panel]:
    """For those who may open products (the field roles); nothing for anyone else."""
    programme = grant.programme
    if not decide(user, "campaignproduct.view", programme):
        return []
    products: list[Any] = list(
        with_reach_totals(products_of(user, programme).filter(grant=grant))
        .select_related("format", "image")
        .order_by("-created_at", "-id")
    )
    may_add = grant.status == GrantStatus.AGREED and bool(decide(user, "grant.report", grant))
    totals = {
        "people": sum(p.reached for p in products),
        "copies": sum(p.handed_out for p in products),
        "distributions": sum(p.distributions for p in products),
    }
    context = {"products": products, "may_add": may_add, "totals": totals, "code": programme.code}
    return [Panel(priority=60, template="grants/product_panel.html", context=context)]
