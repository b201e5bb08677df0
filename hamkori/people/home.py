"""What people put on the programme's home page (registered in ``PeopleConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import ngettext

from hamkori.access.policy import decide
from hamkori.people.models import Person
from hamkori.people.selectors import NO_CONSENT, without_participation_consent
from hamkori.programmes.home import TODO, HomeItem


def consent_items(user: Any, programme: Any) -> list[HomeItem]:
    """People the user may see, still on record (not merged, not de-identified), with no live
    consent to take part: one line with the count, linking to the people list filtered to them."""
    if not decide(user, "person.view", programme):
        return []
    people = Person.objects.visible_to(user).filter(programme=programme, merged_into__isnull=True)
    count = without_participation_consent(people).count()
    if not count:
        return []
    return [
        HomeItem(
            priority=25,
            text=ngettext(
                "%(n)s person has no recorded consent to take part",
                "%(n)s people have no recorded consent to take part",
                count,
            )
            % {"n": count},
            url=reverse("person_list", args=[programme.code]) + f"?consent={NO_CONSENT}",
            kind=TODO,
        )
    ]
