from __future__ import annotations

import re
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from djangorestframework_camel_case.util import underscoreize
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import authenticated_user
from core.asgi_limits import EdgeRefusal
from core.errors import ApplicationError, error_body
from core.kept_responses import Built, KeptListView
from core.openapi import (
    ErrorResponseSerializer,
    ValidationErrorResponseSerializer,
    page_serializer,
)
from core.pagination import PageNumberPagination
from core.storage import InvalidUploadToken, LocalStorage
from uploads import selectors
from uploads.api.serializers import (
    JOB_WIRE_COLUMNS,
    JobListQuerySerializer,
    JobSerializer,
    PresignInputSerializer,
    PresignOutputSerializer,
    UploadAcceptedSerializer,
    UploadInputSerializer,
)
from uploads.models import JobStatus, waits_end
from uploads.services.jobs import job_cancel, job_create, job_retry
from uploads.services.storage import stored_asset_presign, stored_asset_receive


class UploadView(APIView):
    @extend_schema(
        request=UploadInputSerializer,
        responses={202: UploadAcceptedSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        summary="Queue an upload of an asset to a channel",
    )
    def post(self, request: Request) -> Response:
        data = UploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accepted = job_create(
            user=authenticated_user(request),
            idempotency_key=request.headers.get("Idempotency-Key", "")[:255],
            **data.validated_data,
        )
        return Response(UploadAcceptedSerializer(accepted.job).data, status=202)


class PresignView(APIView):
    @extend_schema(
        request=PresignInputSerializer,
        responses={200: PresignOutputSerializer},
        summary="Get a short-lived URL to upload a file to the gateway's storage",
    )
    def post(self, request: Request) -> Response:
        data = PresignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        presigned = stored_asset_presign(user=authenticated_user(request), **data.validated_data)
        return Response(PresignOutputSerializer(presigned).data)


class JobStatusView(APIView):
    @extend_schema(responses={200: JobSerializer}, summary="One job")
    def get(self, request: Request, job_id: UUID) -> Response:
        job = selectors.job_get(user=authenticated_user(request), job_id=job_id)
        return Response(JobSerializer(job).data)


class JobListView(KeptListView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=JobStatus.values),
            OpenApiParameter("channelId", UUID),
            OpenApiParameter("updatedSince", str, description="ISO 8601; jobs updated after it"),
            OpenApiParameter("page", int),
            OpenApiParameter("pageSize", int),
        ],
        responses={200: page_serializer(JobSerializer), 400: ValidationErrorResponseSerializer},
        summary="The user's jobs, newest first",
    )
    def get(self, request: Request) -> HttpResponseBase:
        return self.kept(request, lambda: self._page(request))

    def _page(self, request: Request) -> Built:
        query = JobListQuerySerializer(data=underscoreize(request.query_params.dict()))
        query.is_valid(raise_exception=True)
        filters = {k: v for k, v in query.validated_data.items() if k != "page"}
        jobs = selectors.job_list(user=authenticated_user(request), **filters)
        jobs = jobs.values(*JOB_WIRE_COLUMNS)  # rows, not models: the page reads columns only
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(jobs, request, view=self) or []
        response = paginator.get_paginated_response(JobSerializer(page, many=True).data)
        return response, waits_end(page)


class JobCancelView(APIView):
    @extend_schema(
        request=None,
        responses={200: JobSerializer, 409: ErrorResponseSerializer},
        summary="Cancel a queued job",
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        job = job_cancel(job=selectors.job_get(user=authenticated_user(request), job_id=job_id))
        return Response(JobSerializer(job).data)


class JobRetryView(APIView):
    @extend_schema(
        request=None,
        responses={202: JobSerializer, 409: ErrorResponseSerializer},
        summary="Queue a failed job again",
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        job = job_retry(job=selectors.job_get(user=authenticated_user(request), job_id=job_id))
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


_BODY_CHUNK = 1024 * 1024
_INVALID_UPLOAD_URL = "The upload URL is invalid or expired."


def blob_body_limit(match: re.Match[str]) -> int:
    """The body limit of ``PUT /api/v1/upload/blob/<token>`` for ``core.asgi_limits``: the
    signed size. The token is checked before a byte of the body is read (403 if bad)."""
    try:
        return LocalStorage.read_token(match["token"]).size_bytes
    except InvalidUploadToken as exc:
        raise EdgeRefusal(status=403, code="invalid_token", detail=_INVALID_UPLOAD_URL) from exc


@method_decorator(csrf_exempt, name="dispatch")
class AssetBlobView(View):
    """The signed PUT target of embedded storage. The token in the path is the authorisation
    (like an S3 presigned URL), so no JWT is needed; it expires after ``PRESIGN_TTL``.
    Served behind ``blob_body_limit``, so a bad token or an oversized body never gets here."""

    http_method_names = ["put"]

    def put(self, request: HttpRequest, token: str) -> JsonResponse:
        def chunks():
            while chunk := request.read(_BODY_CHUNK):
                yield chunk

        try:
            stored_asset_receive(
                token=token, content_type=request.content_type or "", chunks=chunks()
            )
        except InvalidUploadToken:
            body = error_body(code="invalid_token", detail=_INVALID_UPLOAD_URL, status_code=403)
            return JsonResponse(body, status=403)
        except ApplicationError as exc:
            body = error_body(code=exc.code, detail=exc.message, status_code=exc.status_code)
            return JsonResponse(body, status=exc.status_code)
        return JsonResponse({}, status=200)
