"""OpenAPI pieces for error answers that drf-standardized-errors does not document itself."""

from typing import Any

from djangorestframework_camel_case.util import camelize_re, underscore_to_camel
from rest_framework import serializers

from core.errors import ERROR_CODES


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponseSerializer(serializers.Serializer):
    """The one error shape of docs/api.md, for 409 and 503 answers."""

    type = serializers.ChoiceField(["client_error", "server_error"])
    errors = ErrorSerializer(many=True)  # type: ignore[assignment]  # the wire name


class ValidationErrorResponseSerializer(serializers.Serializer):
    """A 400 on query parameters, which drf-standardized-errors does not document."""

    type = serializers.ChoiceField(["validation_error"])
    errors = ErrorSerializer(many=True)  # type: ignore[assignment]  # the wire name


def page_serializer(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The answer of ``core.pagination.PageNumberPagination`` around ``item`` (for the schema)."""
    fields = {
        "__doc__": f"A page of {item.__name__.removesuffix('Serializer')} rows.",
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    }
    name = item.__name__.removesuffix("Serializer") + "PageSerializer"
    return type(name, (serializers.Serializer,), fields)


def describe_error_components(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """Make the generated validation-error components say what the wire carries.

    drf-standardized-errors documents each field's ``attr`` in snake_case and only the codes of
    DRF's own field validators. On the wire ``attr`` is camelCase (``CamelCaseExceptionFormatter``)
    and services add their own codes (``InvalidInput``), so every field's ``code`` enum also
    lists :data:`core.errors.ERROR_CODES`. Runs after drf-standardized-errors' enum hook.
    """
    for name, component in result.get("components", {}).get("schemas", {}).items():
        properties = component.get("properties", {})
        if name.endswith("ErrorComponent") and "attr" in properties:
            attr, code = properties["attr"], properties["code"]
            attr["enum"] = [camelize_re.sub(underscore_to_camel, value) for value in attr["enum"]]
            attr.pop("description", None)
            code["enum"] = sorted(set(code["enum"]) | ERROR_CODES)
            code.pop("description", None)
        discriminator = component.get("discriminator", {})
        if discriminator.get("propertyName") == "attr":
            discriminator["mapping"] = {
                camelize_re.sub(underscore_to_camel, key): ref
                for key, ref in discriminator["mapping"].items()
            }
    return result
