"""Who may do what with calls, applications, reviews, grants, money and campaigns (docs/adr/0002, 0011).

Seeing a record is decided by its scope (calls: the programme's field roles; applications, grants, products
and reach: by district, restricted by owner). These rules decide acting. The lead organisation runs calls,
assigns reviewers, screens, decides, schedules and releases money; a partner enters applications for the
groups she supports and reports on their grants and campaigns; a reviewer scores only her own review and
only after declaring she has no conflict of interest; a donor sees money and reach as totals.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ALLOW, Decision, grant_in, role_in, roles_rule, rule
from hamkori.core.roles import FIELD_ROLES, LEAD_ROLES, Role

NOT_YOUR_ROLE = Decision(False, _("Your role in this programme does not allow this."))
LEAD_ONLY = Decision(False, _("Only the lead organisation can do this."))

#: Calls, applications, grants and campaigns: the lists and pages (the scope decides which records).
rule("grants.view")(roles_rule(*FIELD_ROLES))
rule("grantcall.view")(roles_rule(*FIELD_ROLES))
#: Running calls: creating, editing, opening and closing them, their criteria; the exchange rates.
rule("grantcall.change")(roles_rule(*LEAD_ROLES))
rule("grants.rates")(roles_rule(*LEAD_ROLES))
#: Entering an application on behalf of a community group or organisation.
rule("application.create")(roles_rule(*FIELD_ROLES))
rule("application.view")(roles_rule(*FIELD_ROLES))
#: Assigning reviewers, the do-no-harm screening, the decision: the lead organisation.
rule("application.decide")(roles_rule(*LEAD_ROLES))
rule("grant.view")(roles_rule(*FIELD_ROLES))
#: The agreement, the tranche schedule, releasing tranches, reviewing reports, closing: the lead organisation.
rule("grant.manage")(roles_rule(*LEAD_ROLES))
#: The programme's money page: totals per call (donors included); the grants ledger (named grantees): lead.
rule("grants.money")(roles_rule(Role.ADMIN, Role.STAFF, Role.DONOR))
rule("grants.ledger")(roles_rule(*LEAD_ROLES))
#: What the campaigns reached, as totals (donors under disclosure control), and the gallery of products.
rule("grants.reach_summary")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER, Role.DONOR))
rule("campaignproduct.view")(roles_rule(*FIELD_ROLES))
rule("reach.view")(roles_rule(*FIELD_ROLES))
#: The programme's campaign vocabulary: formats and do-no-harm questions.
rule("grants.vocabulary")(roles_rule(Role.ADMIN))


def _own_org(user: Any, programme_id: int, owner_id: int | None, refusal: Decision) -> Decision:
    role = role_in(user, programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    if role == Role.PARTNER:
        grant = grant_in(user, programme_id)
        if grant is not None and owner_id is not None and grant.organisation_id == owner_id:
            return ALLOW
        return refusal
    return NOT_YOUR_ROLE


@rule("application.change")
def _application_change(user: Any, application: Any) -> Decision:
    """Completing a draft, submitting it, answering requested changes: the lead organisation, and the partner
    organisation that supports the applicant."""
    if application is None or application._meta.model_name == "programme":
        return roles_rule(*FIELD_ROLES)(user, application)
    return _own_org(
        user,
        application.programme_id,
        application.owner_id,
        Decision(
            False,
            _(
                "Only the lead organisation and the organisation that supports this applicant can change the application."
            ),
        ),
    )


@rule("application.view_identity")
def _view_identity(user: Any, application: Any) -> Decision:
    """Who applied (the name and the contact): hidden from the call's reviewers when the call is blind."""
    if application.call.blind_review and application.reviews.filter(reviewer=user).exists():
        return Decision(False, _("This call is reviewed without the applicants' names."))
    return roles_rule(*FIELD_ROLES)(user, application)


@rule("review.change")
def _review_change(user: Any, review: Any) -> Decision:
    """A review is declared and scored by its reviewer alone; a declared conflict of interest blocks it."""
    if review.reviewer_id != user.pk:
        return Decision(False, _("Only the assigned reviewer can fill in this review."))
    if review.submitted_at is not None:
        return Decision(False, _("This review was submitted and can no longer be changed."))
    if review.conflict == "declared":
        return Decision(False, _("You declared a conflict of interest: this review is blocked."))
    return ALLOW


@rule("review.view")
def _review_view(user: Any, review: Any) -> Decision:
    """A review is read by its reviewer; the lead organisation reads it once submitted, except a lead reviewer
    of the same application whose own review is still to be done (she never sees others' scores before)."""
    if review.reviewer_id == user.pk:
        return ALLOW
    if role_in(user, review.application.programme_id) not in LEAD_ROLES:
        return Decision(False, _("Only the assigned reviewer and the lead organisation can open this review."))
    if review.submitted_at is None:
        return Decision(False, _("This review is not submitted yet: only its reviewer can open it."))
    own = review.application.reviews.filter(reviewer=user, submitted_at__isnull=True).exclude(conflict="declared")
    if own.exists():
        return Decision(False, _("Submit your own review of this application first."))
    return ALLOW


@rule("grant.report")
def _grant_report(user: Any, grant: Any) -> Decision:
    """Reports, campaign products and their reach: the lead organisation and the supporting partner."""
    if grant is None or grant._meta.model_name == "programme":
        return roles_rule(*FIELD_ROLES)(user, grant)
    return _own_org(
        user,
        grant.programme_id,
        grant.owner_id,
        Decision(
            False, _("Only the lead organisation and the organisation that supports this grant can report on it.")
        ),
    )


@rule("campaignproduct.change")
def _product_change(user: Any, product: Any) -> Decision:
    if product is None or product._meta.model_name == "programme":
        return roles_rule(*FIELD_ROLES)(user, product)
    return _own_org(
        user,
        product.programme_id,
        product.owner_id,
        Decision(False, _("Only the lead organisation and the organisation that recorded this product can change it.")),
    )
