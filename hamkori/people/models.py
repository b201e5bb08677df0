from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ScopedManager, ScopeSpec
from hamkori.core.models import Sensitivity, TimeStampedModel, TrilingualName


class Sector(TrilingualName):
    """A part of society a person represents (elder, religious leader, journalist, ...). Data, not
    code: administrators add sectors; ``code`` is stable and used in imports."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class AgeBand(models.TextChoices):
    UNDER_18 = "u18", _("under 18")
    AGE_18_24 = "18-24", _("18–24")
    AGE_25_35 = "25-35", _("25–35")
    AGE_36_50 = "36-50", _("36–50")
    AGE_51_64 = "51-64", _("51–64")
    AGE_65_UP = "65+", _("65 and over")


#: (band, lowest age, highest age)
AGE_BANDS = [
    ("u18", 0, 17),
    ("18-24", 18, 24),
    ("25-35", 25, 35),
    ("36-50", 36, 50),
    ("51-64", 51, 64),
    ("65+", 65, 130),
]


def band_for_age(age: int) -> str:
    for band, low, high in AGE_BANDS:
        if low <= age <= high:
            return band
    raise ValueError(age)


class Language(models.TextChoices):
    TAJIK = "tg", _("Tajik")
    RUSSIAN = "ru", _("Russian")
    UZBEK = "uz", _("Uzbek")
    KYRGYZ = "ky", _("Kyrgyz")
    PAMIRI = "pamiri", _("a Pamiri language")
    ENGLISH = "en", _("English")


class Person(TimeStampedModel):
    """A participant, known by a pseudonymous code. Names and contacts live in the personal-data
    vault under ``vault_key``; nothing here identifies the person by itself."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="people")
    code = models.CharField(_("code"), max_length=20)
    vault_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=6, choices=AgeBand.choices)
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    sectors = models.ManyToManyField(Sector, verbose_name=_("sectors"), blank=True, related_name="people")
    languages = models.JSONField(_("languages"), default=list, blank=True)
    owner = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sensitivity = models.CharField(
        _("sensitivity"), max_length=12, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    deidentified_at = models.DateTimeField(_("de-identified"), null=True, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    #: The sign-in account of this person, when they are a working-group member who uses Hamkori:
    #: a group member's account sees the groups where this person is a current member. Set by the
    #: lead organisation (``person_link_account``); cleared when the person is de-identified.
    account = models.ForeignKey(
        "accounts.User",
        verbose_name=_("sign-in account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope = ScopeSpec(programme="programme", place="place", owner="owner", sensitivity="sensitivity")
    objects = ScopedManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="person_code_unique"),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900), name="person_birth_year_sane"
            ),
            models.UniqueConstraint(
                fields=["programme", "account"],
                condition=Q(account__isnull=False),
                name="person_account_once_per_programme",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "sex"]),
            models.Index(fields=["programme", "place"]),
            # The people list: counts and pages of the programme's unmerged people, by code.
            models.Index(fields=["programme", "merged_into", "code"], name="person_list_idx"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def language_names(self) -> list[str]:
        """The person's languages by name, in the active language (a code we do not know stays as it is)."""
        names = dict(Language.choices)
        return [str(names.get(code, code)) for code in self.languages]

    def age_on(self, day: dt.date) -> int | None:
        return day.year - self.birth_year if self.birth_year else None


class Consent(models.Model):
    class Purpose(models.TextChoices):
        PARTICIPATION = "participation", _("Participation")
        CONTACT = "contact", _("Being contacted")
        PHOTOS = "photos", _("Photos")
        QUOTING = "quoting", _("Being quoted")

    class Method(models.TextChoices):
        WRITTEN = "written", _("Written")
        VERBAL = "verbal", _("Verbal, witnessed")
        DIGITAL = "digital", _("Digital form")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    given_on = models.DateField(_("given on"))
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    language = models.CharField(_("in which language"), max_length=8, choices=Language.choices)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["purpose", "-given_on"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose"],
                condition=Q(withdrawn_on__isnull=True),
                name="one_live_consent_per_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_purpose_display()}"
