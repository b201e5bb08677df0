"""Applications: saved as drafts (by partner staff on an applicant's behalf, or by the applicant through the
call's public form), completed later, submitted before the deadline, withdrawn.

Each form carries a ``client_key`` drawn when the form is first shown: saving the same draft twice (a second
tap, a retry after a dropped connection) updates one application, enforced by a unique constraint. A public
applicant continues her draft at a private address (``/apply/<call>/d/<token>/``); only the token's SHA-256
digest is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import enforce, grant_in
from hamkori.concerns.models import Concern
from hamkori.concerns.services import clean_text
from hamkori.core import audit
from hamkori.core.roles import Role
from hamkori.grants.calls import call_is_open
from hamkori.grants.models import (
    MAX_TEXT,
    ZERO,
    ApplicantKind,
    Application,
    ApplicationStatus,
    BudgetLine,
    CampaignFormat,
    GrantCall,
    Language,
)
from hamkori.grants.money import amount_of
from hamkori.orgs.models import Organisation
from hamkori.people.services import place_in_scope
from hamkori.places.models import Place
from hamkori.vault.services import PersonalData, vault_put

#: Budget lines an application may have.
MAX_LINES = 40
#: Statuses in which the applicant (or her partner) may still change the application.
EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.CHANGES)
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _reference() -> str:
    return "A-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _i in range(6))


@dataclass
class Draft:
    """What an application form sends. Empty values are allowed in a draft and required on submitting."""

    applicant_name: str = ""
    applicant_kind: str = ""
    district: Place | None = None
    place: Place | None = None
    title: str = ""
    summary: str = ""
    audience: str = ""
    formats: Sequence[CampaignFormat] = ()
    languages: Sequence[str] = ()
    concerns: Sequence[Concern] = ()
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    #: (item, amount as typed)
    budget: Sequence[tuple[str, Any]] = ()
    contact: PersonalData | None = None


@dataclass(frozen=True)
class Saved:
    application: Application
    #: For a public draft: the token of its private address, shown once (None when staff saved it).
    token: str | None
    created: bool


def _validate(call: GrantCall, draft: Draft) -> tuple[dict[str, Any], list[tuple[str, Decimal]], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for field, text, required, limit in (
        ("applicant_name", draft.applicant_name, True, 200),
        ("title", draft.title, True, 200),
        ("summary", draft.summary, False, MAX_TEXT),
        ("audience", draft.audience, False, MAX_TEXT),
    ):
        try:
            values[field] = clean_text(text, field=field, required=required, limit=limit)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    kinds = call.applicant_kinds or ApplicantKind.values
    if draft.applicant_kind not in ApplicantKind.values:
        errors["applicant_kind"] = [_("Choose what kind of group or organisation applies.")]
    elif draft.applicant_kind not in kinds:
        errors["applicant_kind"] = [_("This call is not open to this kind of applicant.")]
    values["applicant_kind"] = draft.applicant_kind
    districts = {p.pk: p for p in call.districts.all()}
    if draft.district is None or draft.district.pk not in districts:
        errors["district"] = [_("Choose one of the districts this call is open to.")]
    elif draft.place is not None and (
        draft.place.pk == draft.district.pk or not draft.place.path.startswith(draft.district.path)
    ):
        errors["place"] = [_("Choose a jamoat or village of the district, or leave it empty.")]
    values["district"], values["place"] = draft.district, draft.place
    if any(code not in Language.values for code in draft.languages):
        errors["languages"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    values["languages"] = list(dict.fromkeys(draft.languages))
    if any(f.programme_id != call.programme_id for f in draft.formats):
        errors["formats"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if draft.district is not None and any(
        c.programme_id != call.programme_id or c.district_id != draft.district.pk for c in draft.concerns
    ):
        errors["concerns"] = [_("Choose concerns raised in the application's district.")]
    if draft.starts_on and draft.ends_on and draft.ends_on < draft.starts_on:
        errors["ends_on"] = [_("The campaign cannot end before it starts.")]
    values["starts_on"], values["ends_on"] = draft.starts_on, draft.ends_on
    lines: list[tuple[str, Decimal]] = []
    line_errors: list[str] = []
    for number, (item, amount) in enumerate(draft.budget, start=1):
        item = (item or "").strip()
        if not item and str(amount or "").strip() == "":
            continue
        if not item:
            line_errors.append(_("Line %(n)s: say what the money is for.") % {"n": number})
            continue
        if len(item) > 200:
            line_errors.append(_("Line %(n)s: keep the item under 200 characters.") % {"n": number})
            continue
        try:
            lines.append((item, amount_of(amount, currency=call.currency, field="budget")))
        except ValidationError as exc:
            line_errors.extend(f"{_('Line %(n)s:') % {'n': number}} {m}" for m in exc.message_dict["budget"])
    if len(lines) > MAX_LINES:
        line_errors.append(_("An application has at most %(n)s budget lines.") % {"n": MAX_LINES})
    if line_errors:
        errors["budget"] = line_errors
    return values, lines, errors


def _check_complete(call: GrantCall, application: Application) -> dict[str, list[str]]:
    """What submitting needs beyond a draft."""
    errors: dict[str, list[str]] = {}
    required = _("This field is required.")
    if not application.summary:
        errors["summary"] = [required]
    if not application.audience:
        errors["audience"] = [required]
    if not application.formats.exists():
        errors["formats"] = [_("Choose at least one format.")]
    if not application.languages:
        errors["languages"] = [_("Choose at least one language.")]
    if not application.starts_on or not application.ends_on:
        errors["starts_on"] = [_("Give the campaign's start and end dates.")]
    if not application.budget_lines.exists():
        errors["budget"] = [_("Give at least one budget line.")]
    elif call.max_grant is not None and application.amount > call.max_grant:
        errors["budget"] = [
            _("The budget adds up to %(amount)s %(currency)s; this call gives at most %(max)s %(currency)s.")
            % {"amount": application.amount, "max": call.max_grant, "currency": call.currency}
        ]
    return errors


def _owner_for(actor: Any, call: GrantCall, owner: Organisation | None) -> Organisation | None:
    grant = grant_in(actor, call.programme_id) if actor is not None else None
    if grant is not None and grant.role == Role.PARTNER and grant.organisation_id is not None:
        return Organisation.objects.filter(pk=grant.organisation_id).first()
    return owner or (call.programme.lead_organisation if actor is not None else None)


@transaction.atomic
def application_save(
    *,
    actor: Any,
    call: GrantCall,
    client_key: uuid.UUID,
    draft: Draft,
    token: str | None = None,
    owner: Organisation | None = None,
) -> Saved:
    """Save a draft: create it (``client_key`` new) or update it. ``actor=None`` is a public applicant, who
    updates only the draft whose private-address ``token`` she holds, or replays the very form that created
    it (the same ``client_key``: a retry after a dropped connection), which gives her a fresh token."""
    if actor is not None:
        enforce(actor, "application.create", call.programme)
    elif not call.public_applications:
        raise ValidationError({"__all__": [_("This call takes applications through the partner organisations only.")]})
    if not call_is_open(call):
        raise ValidationError({"__all__": [_("This call is closed: its deadline has passed.")]})
    existing = Application.objects.select_for_update().filter(client_key=client_key).first()
    new_token: str | None = None
    if existing is not None:
        if existing.call_id != call.pk:
            raise ValidationError({"__all__": [_("This form belongs to another call. Open the form again.")]})
        if actor is None:
            if existing.owner_id is not None or existing.entered_by_id is not None:
                raise ValidationError({"__all__": [_("This application is being handled by the programme's staff.")]})
            if token is None or token_digest(token) != existing.resume_digest:
                if existing.updated_at - existing.created_at > dt.timedelta(seconds=5):
                    raise ValidationError({"__all__": [_("Open your draft from its private address to change it.")]})
                new_token = secrets.token_urlsafe(24)  # the creating form, sent again
        else:
            enforce(actor, "application.change", existing)
        if existing.status not in EDITABLE:
            raise ValidationError({"__all__": [_("This application was submitted and can no longer be changed.")]})
    values, lines, errors = _validate(call, draft)
    outside = (
        actor is not None and draft.district is not None and not place_in_scope(actor, call.programme, draft.district)
    )
    if outside and "district" not in errors:
        errors["district"] = [_("Choose one of your districts.")]
    if errors:
        raise ValidationError(errors)
    created = existing is None
    if existing is None:
        application = Application(
            programme_id=call.programme_id,
            call=call,
            client_key=client_key,
            owner=_owner_for(actor, call, owner),
            entered_by=actor if actor is not None else None,
        )
        if actor is None:
            new_token = secrets.token_urlsafe(24)
    else:
        application = existing
    for key, value in values.items():
        setattr(application, key, value)
    application.amount = sum((amount for _item, amount in lines), ZERO)
    if new_token is not None:
        application.resume_digest = token_digest(new_token)
    if created:
        for _attempt in range(5):
            application.reference = _reference()
            try:
                with transaction.atomic():
                    application.save()
                break
            except IntegrityError:
                if Application.objects.filter(client_key=client_key).exists():
                    raise ValidationError(
                        {"__all__": [_("This form was sent twice at the same moment. Open your draft again.")]}
                    ) from None
        else:  # pragma: no cover - 32**6 references
            raise ValidationError({"__all__": [_("Please try again.")]})
    else:
        application.save()
    application.formats.set(draft.formats)
    application.concerns.set(draft.concerns)
    application.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(application=application, item=item, amount=amount, order=i)
            for i, (item, amount) in enumerate(lines)
        ]
    )
    if draft.contact is not None and any(getattr(draft.contact, f) for f in ("full_name", "phone", "email", "address")):
        if application.contact_key is None:
            application.contact_key = uuid.uuid4()
            application.save(update_fields=["contact_key"])
        vault_put(actor=actor, subject_key=application.contact_key, data=draft.contact, programme_id=call.programme_id)
    audit.record(
        actor=actor,
        action="application.create" if created else "application.update",
        obj=application,
        programme=call.programme,
        summary={"call": call.pk, "amount": str(application.amount), "public": actor is None},
    )
    return Saved(application=application, token=new_token, created=created)


def public_draft(call: GrantCall, token: str) -> Application | None:
    """The public applicant's draft at its private address, or None."""
    if not token or len(token) > 100:
        return None
    return Application.objects.filter(call=call, resume_digest=token_digest(token), owner__isnull=True).first()


def application_by_token(call: GrantCall, token: str) -> Application | None:
    """The application whose private address ``token`` is, whoever handles it now: the applicant keeps reading
    its status and the decision's reasons after staff took it on (she changes it only while it is hers,
    :func:`public_draft`)."""
    if not token or len(token) > 100:
        return None
    return Application.objects.filter(call=call, resume_digest=token_digest(token)).exclude(resume_digest="").first()


@transaction.atomic
def application_submit(*, actor: Any, application: Application, token: str | None = None) -> Application:
    """Submit a complete application before the deadline (again, after requested changes)."""
    application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    call = application.call
    if actor is not None:
        enforce(actor, "application.change", application)
    elif token is None or token_digest(token) != application.resume_digest or application.owner_id is not None:
        raise ValidationError({"__all__": [_("Open your draft from its private address to submit it.")]})
    if application.status not in EDITABLE:
        raise ValidationError({"__all__": [_("This application was already submitted.")]})
    if not call_is_open(call):
        raise ValidationError({"__all__": [_("This call is closed: its deadline has passed.")]})
    errors = _check_complete(call, application)
    if errors:
        raise ValidationError(errors)
    before = application.status
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = timezone.now()
    application.save(update_fields=["status", "submitted_at", "updated_at"])
    audit.record(
        actor=actor,
        action="application.submit",
        obj=application,
        summary={"from": before, "amount": str(application.amount)},
    )
    return application


@transaction.atomic
def application_take_on(*, actor: Any, application: Application, owner: Organisation | None = None) -> Application:
    """Staff take a public applicant's application on: an organisation supports it from now on."""
    enforce(actor, "application.decide", application)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.owner_id is not None:
        return application
    application.owner = owner or application.programme.lead_organisation
    application.save(update_fields=["owner", "updated_at"])
    audit.record(actor=actor, action="application.take_on", obj=application, summary={"owner": application.owner_id})
    return application


@transaction.atomic
def application_withdraw(*, actor: Any, application: Application, reason: str = "") -> Application:
    enforce(actor, "application.change", application)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN):
        raise ValidationError({"__all__": [_("This application was decided and can no longer be withdrawn.")]})
    application.status = ApplicationStatus.WITHDRAWN
    application.decision_reason = clean_text(reason, field="reason", required=False, limit=2000)
    application.save(update_fields=["status", "decision_reason", "updated_at"])
    audit.record(actor=actor, action="application.withdraw", obj=application)
    return application


def budget_total(lines: Iterable[BudgetLine]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)
