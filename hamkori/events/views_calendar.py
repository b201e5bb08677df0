"""The private calendar address: the page where a user creates, copies and revokes it (signed in), and
the feed itself (no sign-in: the secret in the address is the key; see ``events.calendar_feed``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hamkori.accounts.models import User
from hamkori.core.views_access import public, signed_in
from hamkori.events import calendar_feed as feeds
from hamkori.events.commitments import event_url
from hamkori.events.models import CalendarFeed


@signed_in
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """Your calendar address: create one (shown once, with a copy button), replace it, revoke it."""
    user: User = request.user  # type: ignore[assignment]
    address = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            feed = CalendarFeed.objects.filter(user=user).first()
            if feed is None:
                messages.error(request, _("You have no calendar address: nothing was revoked."))
            else:
                feeds.feed_revoke(actor=user, feed=feed)
                messages.success(request, _("The calendar address was revoked: calendars using it get nothing more."))
            return redirect("calendar_settings")
        _feed, secret = feeds.feed_create(actor=user)
        address = request.build_absolute_uri(f"/calendar/{secret}.ics")
    return render(
        request,
        "events/calendar_settings.html",
        {"feed": CalendarFeed.objects.filter(user=user).first(), "address": address},
    )


@public
@require_GET
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The user's events as iCalendar, for a calendar application (404 for an unknown or revoked address,
    and for a user who may no longer sign in)."""
    feed = feeds.feed_for(secret)
    if feed is None:
        raise Http404
    feeds.touch(feed)
    events = feeds.feed_events(feed.user)
    body = feeds.render_calendar(
        events,
        host=request.get_host().split(":")[0] or "hamkori",
        url_of=lambda event: request.build_absolute_uri(event_url(event)),
        name="Hamkori",
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="hamkori.ics"'
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
