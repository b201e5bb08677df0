from django.urls import path, re_path

from hamkori.api.main import api
from hamkori.core.api_errors import not_found_view

_patterns, _app, _namespace = api.urls
# Any other path under /api/ answers the API's JSON 404, never the site's HTML page; "[\s\S]": also a
# path with a line break in it (a fuzzer's %0A), which "." alone does not match.
urlpatterns = [path("", ([*_patterns, re_path(r"^[\s\S]*$", not_found_view, name="not-found")], _app, _namespace))]
