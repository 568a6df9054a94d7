"""One view: the library's metrics as Prometheus text at /metrics."""

from django.urls import URLPattern, path

from .views import metrics

urlpatterns: list[URLPattern] = [path("metrics", metrics)]
