"""The programme's campaign vocabulary on the shared vocabulary page (``concerns.vocabulary``): campaign formats
and the do-no-harm screening questions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hamkori.concerns.vocabulary import TermKind, register_term_kind
from hamkori.grants.models import CampaignFormat, ScreeningQuestion

#: The keys of the grants' kinds of term, in the order the page shows them.
GRANT_TERM_KINDS = ("campaign-format", "screening-question")

for key, model, label in (
    ("campaign-format", CampaignFormat, _("Campaign formats")),
    ("screening-question", ScreeningQuestion, _("Do-no-harm questions")),
):
    register_term_kind(
        TermKind(
            key,
            model,
            label,
            rule="grants.vocabulary",
            create_action="grants.vocabulary",
            update_action="grants.vocabulary",
        )
    )
