"""``/healthz``: the state of the database and the broker (being written)."""

from django.http import JsonResponse


def healthz(request):
    """Placeholder answering 200 until the health check is written."""
    return JsonResponse({"status": "ok"})
