"""The library's metrics for a Prometheus scrape (the metrics extra installs prometheus_client)."""

from django.http import HttpRequest, HttpResponse

from clarity_settings.metrics import prometheus


def metrics(request: HttpRequest) -> HttpResponse:  # noqa: ARG001 - Django's view signature
    """Every clarity instrument as Prometheus text; no value, no key name unless opted in."""
    body, content_type = prometheus.exposition()
    return HttpResponse(body, content_type=content_type)
