from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import authenticated_user
from billing.api.serializers import (
    CheckoutInputSerializer,
    CurrentPlanSerializer,
    PlanSerializer,
    RedirectSerializer,
    WebhookReceivedSerializer,
)
from billing.checkout import checkout_session_create, portal_session_create
from billing.models import Plan
from billing.selectors import subscription_of
from billing.webhooks import stripe_webhook_receive
from core.openapi import ErrorResponseSerializer
from metrics.selectors import account_usage


class PlanListView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: PlanSerializer(many=True)}, summary="The plans on offer")
    def get(self, request: Request) -> Response:
        return Response(PlanSerializer(Plan.objects.all(), many=True).data)


class CurrentPlanView(APIView):
    @extend_schema(
        responses={200: CurrentPlanSerializer},
        summary="The user's plan, this month's usage and their Stripe subscription",
    )
    def get(self, request: Request) -> Response:
        user = authenticated_user(request)
        usage = account_usage(user=user)
        body = {
            "plan": usage.plan,
            "usage": {
                "channels": usage.channels,
                "uploads": usage.uploads,
                "storage_bytes": usage.storage_bytes,
                "period_start": usage.period_start,
            },
            "subscription": subscription_of(user),
        }
        return Response(CurrentPlanSerializer(body).data)


class CheckoutView(APIView):
    @extend_schema(
        request=CheckoutInputSerializer,
        responses={200: RedirectSerializer, 503: ErrorResponseSerializer},
        summary="Start a Stripe Checkout for a paid plan",
    )
    def post(self, request: Request) -> Response:
        data = CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        url = checkout_session_create(
            user=authenticated_user(request), plan_code=data.validated_data["plan"]
        )
        return Response({"url": url})


class PortalView(APIView):
    @extend_schema(
        request=None,
        responses={200: RedirectSerializer, 503: ErrorResponseSerializer},
        summary="Open the Stripe customer portal",
    )
    def post(self, request: Request) -> Response:
        return Response({"url": portal_session_create(user=authenticated_user(request))})


class StripeWebhookView(APIView):
    """Stripe's calls: authenticated by the ``Stripe-Signature`` header, not by a user."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request={"application/json": dict},
        parameters=[OpenApiParameter("Stripe-Signature", str, OpenApiParameter.HEADER)],
        responses={200: WebhookReceivedSerializer},
        summary="Stripe events (checkout, subscription changes); 400 on a bad signature",
    )
    def post(self, request: Request) -> Response:
        stripe_webhook_receive(
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
            remote_ip=request.META.get("REMOTE_ADDR") or "0.0.0.0",  # noqa: S104
        )
        return Response({"received": True})
