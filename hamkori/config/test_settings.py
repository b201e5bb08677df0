"""Settings for the test-suite: the same settings, in HAMKORI_ENV=test mode (locmem mail, a fixed
test data key, a var/ directory of its own)."""

import os
import tempfile

os.environ["HAMKORI_ENV"] = "test"
os.environ.setdefault("HAMKORI_VAR_DIR", os.path.join(tempfile.gettempdir(), "hamkori-test-var"))
if _worker := os.environ.get("PYTEST_XDIST_WORKER"):  # pytest -n: a var/ directory per worker
    os.environ["HAMKORI_VAR_DIR"] = f"{os.environ['HAMKORI_VAR_DIR'].rstrip(os.sep)}-{_worker}"

from hamkori.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing for tests only

INSTALLED_APPS = [*INSTALLED_APPS, "tests.scopeapp"]  # noqa: F405

# The test-suite empties every table between transactional tests (TRUNCATE on PostgreSQL, DELETE on
# SQLite): the audit table's triggers allow that only here (see hamkori/core/audit_chain.py).
HAMKORI_AUDIT_ALLOW_FLUSH = True
