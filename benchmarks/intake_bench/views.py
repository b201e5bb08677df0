"""The bare endpoint: read the same JSON the intake reads, insert one row, answer its key."""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from benchmarks.intake_bench.models import BareRow


@csrf_exempt
@require_POST
def bare(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body)
    row = BareRow.objects.create(key=uuid.UUID(body["client_id"]), text=body["description"])
    return JsonResponse({"id": str(row.key)}, status=201)
