"""The events' vocabulary on the concerns' vocabulary machinery (``concerns.vocabulary``): kinds of event
(each with its category), training topics and attendee roles are added, renamed, reordered and taken out of
use by an administrator (``event.vocabulary``) with the same services, form and page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hamkori.concerns.vocabulary import TermKind, register_term_kind
from hamkori.events.models import AttendeeRole, EventKind, TrainingTopic

#: The keys of the events' kinds of term, in the order the page shows them.
EVENT_TERM_KINDS = ("event-kind", "training-topic", "attendee-role")

for key, model, label, extra in (
    ("event-kind", EventKind, _("Kinds of event"), ("category",)),
    ("training-topic", TrainingTopic, _("Training topics"), ()),
    ("attendee-role", AttendeeRole, _("Attendee roles"), ()),
):
    register_term_kind(
        TermKind(
            key,
            model,
            label,
            rule="event.vocabulary",
            create_action="event.vocabulary",
            update_action="event.vocabulary",
            extra=extra,
        )
    )
