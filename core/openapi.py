"""OpenAPI pieces for error answers that drf-standardized-errors does not document itself."""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponseSerializer(serializers.Serializer):
    """The one error shape of API.md, for 409 and 503 answers."""

    type = serializers.ChoiceField(["client_error", "server_error"])
    errors = ErrorSerializer(many=True)  # type: ignore[assignment]  # the wire name
