"""The ``/auth`` endpoints of docs/api.md."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services, tasks
from accounts.api.serializers import (
    EmptySerializer,
    ForgotPasswordInputSerializer,
    LoginInputSerializer,
    RefreshInputSerializer,
    ResetPasswordInputSerializer,
    SessionSerializer,
    SignupInputSerializer,
    TokenPairSerializer,
    UserEnvelopeSerializer,
)
from core.openapi import ErrorResponseSerializer
from core.throttles import ForgotPasswordRateThrottle, LoginFailureGuard, SignupRateThrottle


def _error(status_code: int, code: str, detail: str) -> OpenApiResponse:
    body = {"type": "client_error", "errors": [{"code": code, "detail": detail, "attr": None}]}
    example = OpenApiExample(code, body, status_codes=[status_code])
    return OpenApiResponse(ErrorResponseSerializer, code, examples=[example])


_INVALID_CREDENTIALS = _error(401, "invalid_credentials", "The email or password is incorrect.")
_INVALID_REFRESH = _error(
    401, "invalid_token", "The refresh token is invalid, expired or already used."
)
_INVALID_ACCESS = _error(401, "invalid_token", "The token is invalid or expired.")
_429 = _error(429, "throttled", "Request was throttled. Expected available in 60 seconds.")


# Reached without an access token; a stale Authorization header is ignored.
class _PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class SignupView(_PublicView):
    throttle_classes = [SignupRateThrottle]

    @extend_schema(
        summary="Create an account (free plan) and start a session",
        request=SignupInputSerializer,
        responses={201: SessionSerializer, 429: _429},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_signup(**data.validated_data)
        tokens = services.session_start(user=user)
        body = SessionSerializer({"user": user, "access": tokens.access, "refresh": tokens.refresh})
        return Response(body.data, status=status.HTTP_201_CREATED)


class LoginView(_PublicView):
    @extend_schema(
        summary="Log in with email and password",
        request=LoginInputSerializer,
        responses={200: SessionSerializer, 401: _INVALID_CREDENTIALS, 429: _429},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        with LoginFailureGuard(email=email, request=request, failure=services.InvalidCredentials):
            user = services.user_login(email=email, password=data.validated_data["password"])
        tokens = services.session_start(user=user)
        body = SessionSerializer({"user": user, "access": tokens.access, "refresh": tokens.refresh})
        return Response(body.data)


class TokenRefreshView(_PublicView):
    @extend_schema(
        summary="Trade a refresh token for a new pair (the old refresh token stops working)",
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, 401: _INVALID_REFRESH},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.session_refresh(refresh=data.validated_data["refresh"])
        return Response(TokenPairSerializer(tokens).data)


class LogoutView(_PublicView):
    @extend_schema(
        summary="End the session of a refresh token",
        request=RefreshInputSerializer,
        responses={204: None, 401: _INVALID_REFRESH},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.session_end(refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(
        summary="The signed-in user",
        responses={200: UserEnvelopeSerializer, 401: _INVALID_ACCESS, 429: _429},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        return Response(UserEnvelopeSerializer({"user": request.user}).data)


class ForgotPasswordView(_PublicView):
    throttle_classes = [ForgotPasswordRateThrottle]

    @extend_schema(
        summary="Email a password-reset link (same answer whether or not the email exists)",
        request=ForgotPasswordInputSerializer,
        responses={202: EmptySerializer, 429: _429},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = ForgotPasswordInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tasks.password_reset_request(email=data.validated_data["email"])
        return Response({}, status=status.HTTP_202_ACCEPTED)


class ResetPasswordView(_PublicView):
    @extend_schema(
        summary="Set a new password with the emailed token; ends every session",
        request=ResetPasswordInputSerializer,
        responses={200: EmptySerializer},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = ResetPasswordInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_complete(**data.validated_data)
        return Response({})
