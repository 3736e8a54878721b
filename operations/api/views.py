from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import ErrorResponseSerializer
from operations.api.serializers import AdminStatsSerializer
from operations.selectors import stats_summary


class AdminStatsView(APIView):
    """Figures for monitoring: staff only (403 for other users, 401 without a token)."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        summary="Users, channels, jobs by status and queue depth (staff only)",
        responses={
            200: AdminStatsSerializer,
            401: OpenApiResponse(ErrorResponseSerializer, "not_authenticated"),
            403: OpenApiResponse(ErrorResponseSerializer, "permission_denied: not staff"),
        },
        tags=["operations"],
    )
    def get(self, request: Request) -> Response:
        summary = stats_summary()
        body = {
            "users": summary.users,
            "channels": summary.channels,
            "jobs": {row.status: row.total for row in summary.jobs_by_status},
            "queue_depth": summary.queue_depth,
        }
        response = Response(AdminStatsSerializer(body).data)
        response["Cache-Control"] = "no-store"
        return response
