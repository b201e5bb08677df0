"""One NinjaAPI; each domain app contributes ``api.py`` with a router. The schema is at
``/api/openapi.json`` (signed-in users only). Every endpoint reads through ``visible_to`` /
``get_for_user``; every error has the one format of ``hamkori.core.api_errors``."""

from ninja import NinjaAPI
from ninja.security import django_auth

from hamkori.api.auth import BearerToken, UserThrottle, require_api_user
from hamkori.concerns.api import router as concerns_router
from hamkori.concerns.api_actions import actions_router, referrals_router
from hamkori.concerns.api_public import router as public_concerns_router
from hamkori.core import api_errors as errors
from hamkori.events.api import router as events_router
from hamkori.events.api_attendance import router as attendance_router
from hamkori.events.api_commitments import router as commitments_router
from hamkori.grants.api import router as grants_router
from hamkori.grants.api_campaigns import router as campaigns_router
from hamkori.grants.api_money import router as grant_money_router
from hamkori.groups.api import router as groups_router
from hamkori.people.api import router as people_router
from hamkori.places.api import router as places_router
from hamkori.programmes.api import router as programmes_router

api = NinjaAPI(
    title="Hamkori API",
    version="1",
    auth=[BearerToken(), django_auth],
    throttle=[UserThrottle()],  # HAMKORI_API_RATE per user, in the shared (database) cache
    docs_url=None,  # the interactive docs need inline scripts our CSP forbids; use openapi.json
    docs_decorator=require_api_user,  # the schema is for signed-in users only
    urls_namespace="api",
)
errors.install(api)
# First: the public intake is the busiest address (URL patterns are tried in this order).
api.add_router("/public", public_concerns_router)
api.add_router("/actions", actions_router)
api.add_router("/commitments", commitments_router)
api.add_router("/concerns", concerns_router)
api.add_router("/events", events_router)
api.add_router("/events", attendance_router)  # /events/{id}/attendance, /events/{id}/tally
api.add_router("/grants", grants_router)  # /grants/calls, /grants/applications
api.add_router("/grants", grant_money_router)  # /grants/, /grants/{id}, tranches and reports
api.add_router("/grants", campaigns_router)  # /grants/products, /grants/reach
api.add_router("/groups", groups_router)
api.add_router("/people", people_router)
api.add_router("/places", places_router)
api.add_router("/programmes", programmes_router)
api.add_router("/referrals", referrals_router)
