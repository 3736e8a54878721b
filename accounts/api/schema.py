"""OpenAPI: document Gateway's JWT authentication as simplejwt's bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class GatewayJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.JWTAuthentication"
