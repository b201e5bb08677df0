"""The scores screen of a training: one row per participant with the pre- and post-test scores, one POST
for all (``attendance.scores_save``: a post-test without a pre-test, a score outside the test's scale or
an event that is not a training is refused with nothing saved)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from hamkori.access.policy import get_for_user
from hamkori.events.attendance import scores_save
from hamkori.events.models import Attendance, Category, Event
from hamkori.kit.pages import form_then_service, render_page
from hamkori.people.selectors import names_for
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


class ScoresForm(forms.Form):
    """``pre-<person id>`` and ``post-<person id>`` for each participant; the service checks the values
    (so that every error comes translated from one place, and nothing is saved on any of them)."""

    def __init__(
        self, data: Any = None, *, rows: list[Attendance], top: int | None, initial: dict[str, Any] | None = None
    ) -> None:
        super().__init__(data, initial=initial)
        attrs = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off", "class": "score-input"}
        if top:
            attrs["max"] = str(top)
        for row in rows:
            for which, label in (("pre", gettext_lazy("Pre-test")), ("post", gettext_lazy("Post-test"))):
                self.fields[f"{which}-{row.person_id}"] = forms.CharField(
                    label=label, required=False, max_length=6, widget=forms.TextInput(attrs=attrs)
                )
        self.rows = rows

    def scores(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {
            row.person_id: (data.get(f"pre-{row.person_id}", ""), data.get(f"post-{row.person_id}", ""))
            for row in self.rows
        }

    def lines(self) -> list[tuple[Attendance, forms.BoundField, forms.BoundField]]:
        return [(row, self[f"pre-{row.person_id}"], self[f"post-{row.person_id}"]) for row in self.rows]


def _event_url(event: Event) -> str:
    """The event's page (built by the events pages), or the summary while those pages are not mounted."""
    try:
        return reverse("event_detail", args=[event.programme.code, event.pk])
    except NoReverseMatch:
        return reverse("event_summary", args=[event.programme.code])


@programme_view(action="event.change")
@require_http_methods(["GET", "POST"])
def event_scores(request: ProgrammeRequest, pk: int) -> HttpResponse:
    event = get_for_user(request.user, Event, "change", pk=pk, programme=request.programme)
    event = Event.objects.select_related("programme", "kind", "district").get(pk=event.pk)
    rows = list(Attendance.objects.filter(event=event).select_related("person").order_by("person__code"))
    names = names_for(request.user, [row.person for row in rows], purpose="event.scores")
    for row in rows:
        row.name = names.get(row.person_id, "")  # type: ignore[attr-defined]
    rows.sort(key=lambda row: (row.name or "~", row.person.code))  # type: ignore[attr-defined]
    is_training = event.kind.category == Category.TRAINING and bool(event.test_max_score)
    initial = {f"pre-{r.person_id}": r.pre_score for r in rows} | {f"post-{r.person_id}": r.post_score for r in rows}
    status = 200
    if request.method == "POST":
        form = ScoresForm(request.POST, rows=rows, top=event.test_max_score)
        done = form_then_service(form, lambda _data: scores_save(actor=request.user, event=event, scores=form.scores()))
        if done:
            messages.success(request, _("The scores were saved (%(n)s changed).") % {"n": done.value})
            return redirect(reverse("event_scores", args=[request.programme.code, event.pk]))
        status = done.status
    else:
        form = ScoresForm(initial=initial, rows=rows, top=event.test_max_score)
    return render_page(
        request,
        "events/scores.html",
        {"event": event, "form": form, "is_training": is_training, "event_url": _event_url(event)},
        status=status,
    )
