"""What events put on the home page (registered in ``EventsConfig.ready``): "N events this week" for the
field (admin, staff, partners in their districts), linking to the list of upcoming events. One query."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import ngettext

from hamkori.access.policy import decide, role_in
from hamkori.core.roles import FIELD_ROLES
from hamkori.events.selectors import events_this_week
from hamkori.programmes.home import INFO, HomeItem


def week_items(user: Any, programme: Any) -> list[HomeItem]:
    if role_in(user, programme) not in FIELD_ROLES or not decide(user, "event.view", programme):
        return []
    n = events_this_week(user, programme).count()
    if not n:
        return []
    text = ngettext("%(n)s event this week", "%(n)s events this week", n) % {"n": n}
    url = reverse("event_list", args=[programme.code]) + "?when=upcoming"
    return [HomeItem(priority=40, text=text, url=url, count=n, kind=INFO)]
