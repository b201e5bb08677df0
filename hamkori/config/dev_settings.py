"""The settings in development mode unless HAMKORI_ENV says otherwise: for the developer's tools
that cannot set the environment themselves (mypy's Django plugin)."""

import os

os.environ.setdefault("HAMKORI_ENV", "development")

from hamkori.config.settings import *  # noqa: F403
