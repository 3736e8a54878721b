from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import authenticated_user
from metrics.api.serializers import OverviewSerializer
from metrics.selectors import account_usage, job_counts


class OverviewView(APIView):
    @extend_schema(
        responses={200: OverviewSerializer},
        summary="Channels, this month's uploads, jobs by status and storage against the plan",
    )
    def get(self, request: Request) -> Response:
        user = authenticated_user(request)
        usage = account_usage(user=user)
        overview = {
            "platforms": {"connected": usage.channels, "limit": usage.plan.channel_limit},
            "uploads": {"used": usage.uploads, "quota": usage.plan.upload_quota},
            "jobs": asdict(job_counts(user=user)),
            "storage": {
                "used_bytes": usage.storage_bytes,
                "limit_bytes": usage.plan.storage_limit_bytes,
            },
        }
        return Response(OverviewSerializer(overview).data)
