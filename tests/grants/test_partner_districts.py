"""A partner records applications, campaign products and reach only in her own districts: the services refuse
anything else (the pages and the API call them), with a translated error, and save nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hamkori.core.roles import Role
from hamkori.grants import applications, campaigns
from hamkori.grants.models import ApplicantKind, Application, CampaignProduct, Reach
from tests.grants.conftest import ISFARA, VANJ


def test_a_vanj_partner_cannot_apply_for_a_group_in_isfara(
    call: Any, place: Any, users: dict, grant_vocab: dict
) -> None:
    draft = applications.Draft(
        applicant_name="Гурӯҳи Исфара",
        applicant_kind=ApplicantKind.COMMUNITY_GROUP,
        district=place(ISFARA),
        title="Варақа",
    )
    with pytest.raises(ValidationError) as error:
        applications.application_save(actor=users[Role.PARTNER], call=call, client_key=uuid.uuid4(), draft=draft)
    assert error.value.message_dict["district"] == ["Choose one of your districts."]
    assert not Application.objects.exists()
    draft.district = place(VANJ)
    saved = applications.application_save(actor=users[Role.PARTNER], call=call, client_key=uuid.uuid4(), draft=draft)
    assert saved.application.district == place(VANJ)


def test_a_vanj_partner_cannot_record_a_product_or_reach_in_isfara(
    programme: Any, place: Any, users: dict, grant_vocab: dict
) -> None:
    partner = users[Role.PARTNER]
    leaflet = grant_vocab["formats"]["leaflet"]
    with pytest.raises(ValidationError) as error:
        campaigns.product_save(
            actor=partner,
            programme=programme,
            grant=None,
            district=place(ISFARA),
            format=leaflet,
            title="Варақа",
            language="tg",
        )
    assert error.value.message_dict["district"] == ["Choose one of your districts."]
    assert not CampaignProduct.objects.exists()
    product = campaigns.product_save(
        actor=partner,
        programme=programme,
        grant=None,
        district=place(VANJ),
        format=leaflet,
        title="Варақа",
        language="tg",
    )
    with pytest.raises(ValidationError):
        campaigns.reach_save(
            actor=partner,
            product=product,
            on=timezone.localdate() - dt.timedelta(days=1),
            place=place(ISFARA),
            channel="distribution",
            counts={("female", "18-24"): 3},
        )
    assert not Reach.objects.exists()
