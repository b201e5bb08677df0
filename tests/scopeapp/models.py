from django.db import models

from hamkori.access.policy import ScopedManager, ScopeSpec
from hamkori.core.models import Sensitivity


class Record(models.Model):
    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT)
    owner = models.ForeignKey("orgs.Organisation", null=True, on_delete=models.PROTECT)
    sensitivity = models.CharField(max_length=12, choices=Sensitivity.choices, default=Sensitivity.INTERNAL)
    title = models.CharField(max_length=100)

    scope = ScopeSpec(programme="programme", place="place", owner="owner", sensitivity="sensitivity")
    objects = ScopedManager()

    def __str__(self) -> str:
        return self.title
