from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of ``docs/data-protection.md``; a user holds one per programme."""

    ADMIN = "admin", _("Programme administrator")
    STAFF = "staff", _("Programme staff")
    PARTNER = "partner", _("Partner facilitator")
    GROUP_MEMBER = "group_member", _("Working-group member")
    LIAISON = "liaison", _("Police or authority liaison")
    DONOR = "donor", _("Donor or evaluator")


ALL_ROLES = frozenset(Role.values)
LEAD_ROLES = frozenset({Role.ADMIN, Role.STAFF})
FIELD_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.PARTNER})
#: Roles that must sign in with a second factor.
MFA_REQUIRED_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.PARTNER})
