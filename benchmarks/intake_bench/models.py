from django.db import models


class BareRow(models.Model):
    """One row per request to ``/bench/bare/``: the client id and the text sent (created by
    ``migrate --run-syncdb``: this app has no migrations)."""

    key = models.UUIDField(unique=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "intake_bench"

    def __str__(self) -> str:
        return str(self.key)
