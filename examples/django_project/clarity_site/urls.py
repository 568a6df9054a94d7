"""The example needs no views; Django still wants a URL configuration."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
