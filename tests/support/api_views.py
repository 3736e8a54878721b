"""A tiny API used only by tests of the shared plumbing (parsers, renderers, errors)."""

from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Conflict, InvalidInput


class EchoInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=5)
    scheduled_at = serializers.DateTimeField(required=False)


class EchoView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        data = EchoInput(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["display_name"] == "taken":
            raise Conflict("That name is taken.", code="already_connected")
        if data.validated_data["display_name"] == "bad":
            raise InvalidInput("Not allowed here.", code="invalid_asset_url", attr="display_name")
        return Response({"display_name": data.validated_data["display_name"]})


class PrivateView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({})


urlpatterns = [
    path("echo", EchoView.as_view()),
    path("private", PrivateView.as_view()),
]
