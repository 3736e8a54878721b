from django.http import HttpRequest, HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import error_body
from core.health import health_check

_health_serializer = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(["ok", "degraded"]),
        "db": serializers.ChoiceField(["connected", "unavailable"]),
        "redis": serializers.ChoiceField(["connected", "unavailable", "not_configured"]),
        "queue_depth": serializers.IntegerField(),
        "websocket": serializers.CharField(),
        "failing": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


class HealthView(APIView):
    """Liveness and readiness for load balancers and operators."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        summary="Health of the gateway and its dependencies",
        responses={200: _health_serializer, 503: OpenApiResponse(_health_serializer, "degraded")},
        tags=["operations"],
    )
    def get(self, request: Request) -> Response:
        report = health_check()
        code = status.HTTP_200_OK if report.healthy else status.HTTP_503_SERVICE_UNAVAILABLE
        response = Response(report.as_dict(), status=code)
        response["Cache-Control"] = "no-store"
        return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    body = error_body(code="not_found", detail="Not found.", status_code=404)
    return JsonResponse(body, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    body = error_body(code="error", detail="A server error occurred.", status_code=500)
    return JsonResponse(body, status=500)
