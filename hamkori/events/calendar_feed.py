"""A user's private calendar address (ICS, issue 15 item 6): their events, for a calendar application.

* The address carries a random secret (256 bits, ``secrets.token_urlsafe``); only its SHA-256 digest is kept
  (``CalendarFeed.digest``, unique and indexed). A request is looked up by the digest of what it carries, so
  the secret never meets a comparison that could leak it by timing, and guessing needs 2**256 tries (the
  address has no rate limit of its own; a wrong address answers 404 like a revoked one).
* One address per user: creating one replaces the old (which then answers 404); revoking deletes it.
* What it lists: events the user may see (``Event.objects.visible_to``, in every programme of theirs) and
  is involved in (organised by their organisation, linked to a working group their person belongs to today,
  facilitated or attended by their person, or, for a liaison, a dialogue where their organisation owns a
  commitment); the lead organisation's admin and staff get every event they see. From
  ``WINDOW_PAST`` ago to ``WINDOW_AHEAD`` ahead, at most ``MAX_EVENTS``.
* What each event carries: a stable UID, start and end in UTC, the title, the place and venue, the event's
  address on this site and whether it is confirmed or cancelled. Never the agenda, minutes, decisions,
  participants or facilitators. Restricted events are left out altogether: a calendar application keeps
  its copy on servers outside the programme.
* A user who loses access (deactivated, locked, no role left) gets 404: their grants are read afresh on
  every request, so a role revoked today takes its events out of the feed at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as VEvent

from hamkori.access.policy import grants_for
from hamkori.core import audit
from hamkori.core.models import Sensitivity
from hamkori.core.roles import LEAD_ROLES, Role
from hamkori.events.models import CalendarFeed, Event, Status
from hamkori.groups.models import Membership

WINDOW_PAST = dt.timedelta(days=90)
WINDOW_AHEAD = dt.timedelta(days=365)
MAX_EVENTS = 2000
#: ``last_used_at`` is written at most this often (calendar applications poll every few minutes).
TOUCH_EVERY = dt.timedelta(hours=1)
#: What ``secrets.token_urlsafe(32)`` produces (43 characters); anything else is not looked up.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


@transaction.atomic
def feed_create(*, actor: Any) -> tuple[CalendarFeed, str]:
    """A new private address for ``actor`` (the old one, if any, stops working). Returns the feed and
    the secret, which is shown once and never stored."""
    replaced = CalendarFeed.objects.filter(user=actor).delete()[0]
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=actor, digest=digest_of(secret))
    audit.record(actor=actor, action="calendar.feed.create", obj=feed, summary={"replaced": bool(replaced)})
    return feed, secret


@transaction.atomic
def feed_revoke(*, actor: Any, feed: CalendarFeed) -> None:
    """Revoke ``feed`` (the actor's own): the address answers 404 from now on."""
    if feed.user_id != actor.pk:
        raise PermissionDenied("Only the owner revokes a calendar address.")
    audit.record(actor=actor, action="calendar.feed.revoke", obj=feed)
    feed.delete()


def feed_for(secret: str) -> CalendarFeed | None:
    """The feed whose secret this is, if its user may still sign in and has a role somewhere."""
    if not _SECRET.match(secret or ""):
        return None
    feed = CalendarFeed.objects.select_related("user").filter(digest=digest_of(secret)).first()
    if feed is None:
        return None
    user = feed.user
    if not user.is_active or user.locked_at or not grants_for(user):
        return None
    return feed


def touch(feed: CalendarFeed) -> None:
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > TOUCH_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)


def _involved(user: Any) -> Q:
    """The events ``user`` takes part in, across their programmes (lead roles: all they see)."""
    q = Q(pk__in=[])
    for grant in grants_for(user):
        if grant.role in LEAD_ROLES:
            q |= Q(programme_id=grant.programme_id)
            continue
        mine = Q(facilitators__account=user) | Q(attendances__person__account=user)
        groups = Membership.objects.current().filter(
            person__account=user, person__programme_id=grant.programme_id, person__merged_into__isnull=True
        )
        mine |= Q(groups__in=groups.values("group_id"))
        if grant.organisation_id:
            mine |= Q(organiser_id=grant.organisation_id)
            if grant.role == Role.LIAISON:
                mine |= Q(commitments__action__ownerships__organisation_id=grant.organisation_id)
        q |= Q(programme_id=grant.programme_id) & mine
    return q


def feed_events(user: Any, *, now: dt.datetime | None = None) -> list[Event]:
    now = now or timezone.now()
    ids = (
        Event.objects.visible_to(user)
        .filter(_involved(user))
        .filter(starts_at__gte=now - WINDOW_PAST, starts_at__lte=now + WINDOW_AHEAD)
        .exclude(sensitivity=Sensitivity.RESTRICTED)
        .values("pk")
    )
    return list(
        Event.objects.filter(pk__in=ids)
        .select_related("programme", "place")
        .only(
            "pk",
            "title",
            "starts_at",
            "ends_at",
            "venue",
            "status",
            "updated_at",
            "created_at",
            "programme__code",
            "place__name_tg",
            "place__name_ru",
            "place__name_en",
        )
        .order_by("starts_at", "pk")[:MAX_EVENTS]
    )


def render_calendar(events: list[Event], *, host: str, url_of: Any, name: str) -> bytes:
    """The events as an iCalendar document (RFC 5545)."""
    cal = Calendar()
    cal.add("prodid", "-//Hamkori//Events//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for event in events:
        item = VEvent()
        item.add("uid", f"event-{event.pk}@{host}")
        item.add("dtstamp", event.updated_at.astimezone(dt.UTC))
        item.add("last-modified", event.updated_at.astimezone(dt.UTC))
        item.add("dtstart", event.starts_at.astimezone(dt.UTC))
        item.add("dtend", event.ends_at.astimezone(dt.UTC))
        item.add("summary", event.title)
        where = ", ".join(part for part in (event.venue, str(event.place.name)) if part)
        item.add("location", where)
        item.add("url", url_of(event))
        item.add("status", "CANCELLED" if event.status == Status.CANCELLED else "CONFIRMED")
        item.add("transp", "OPAQUE")
        cal.add_component(item)
    return cal.to_ical()
