"""Gateway's routes plus ``GET /bench/ceiling``: a bare Django view returning constant JSON,
served by the same server and middleware, the ceiling the API is measured against."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from gateway.urls import urlpatterns as gateway_urlpatterns


def ceiling(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/ceiling", ceiling), *gateway_urlpatterns]
