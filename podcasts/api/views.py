from __future__ import annotations

from uuid import UUID

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import authenticated_user
from core.openapi import ErrorResponseSerializer
from core.storage import get_storage
from podcasts import selectors, services
from podcasts.api.enclosures import media_response
from podcasts.api.serializers import EpisodeSerializer, ShowInputSerializer, ShowSerializer

_not_found = {404: OpenApiResponse(ErrorResponseSerializer, "not_found")}


class ShowListView(APIView):
    @extend_schema(responses=ShowSerializer(many=True), tags=["podcasts"], summary="Your shows")
    def get(self, request: Request) -> Response:
        shows = selectors.show_list(user=authenticated_user(request))
        return Response(ShowSerializer(shows, many=True).data)

    @extend_schema(
        request=ShowInputSerializer,
        responses={201: ShowSerializer},
        tags=["podcasts"],
        summary="Create a show (a hosted podcast feed)",
    )
    def post(self, request: Request) -> Response:
        data = ShowInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        show = services.show_create(user=authenticated_user(request), **data.validated_data)
        return Response(ShowSerializer(show).data, status=status.HTTP_201_CREATED)


class ShowDetailView(APIView):
    @extend_schema(responses={200: ShowSerializer, **_not_found}, tags=["podcasts"])
    def get(self, request: Request, show_id: UUID) -> Response:
        show = selectors.show_get(user=authenticated_user(request), show_id=show_id)
        return Response(ShowSerializer(show).data)

    @extend_schema(
        request=ShowInputSerializer(partial=True),
        responses={200: ShowSerializer, **_not_found},
        tags=["podcasts"],
        summary="Change a show; its feed changes at once",
    )
    def patch(self, request: Request, show_id: UUID) -> Response:
        show = selectors.show_get(user=authenticated_user(request), show_id=show_id)
        data = ShowInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        show = services.show_update(show=show, data=dict(data.validated_data))
        return Response(ShowSerializer(show).data)

    @extend_schema(
        responses={204: None, **_not_found},
        tags=["podcasts"],
        summary="Delete a show and its episodes; its feed answers 404 from then on",
    )
    def delete(self, request: Request, show_id: UUID) -> Response:
        show = selectors.show_get(user=authenticated_user(request), show_id=show_id)
        services.show_delete(show=show)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShowEpisodeListView(APIView):
    @extend_schema(
        responses={200: EpisodeSerializer(many=True), **_not_found},
        tags=["podcasts"],
        summary="The show's episodes, scheduled ones included, latest first",
    )
    def get(self, request: Request, show_id: UUID) -> Response:
        episodes = selectors.episode_list(user=authenticated_user(request), show_id=show_id)
        return Response(EpisodeSerializer(episodes, many=True).data)


# --- public: the feed and its media, read by podcast directories and apps --------------------
class _AnyAccept(BaseContentNegotiation):
    """Feeds and media answer whatever ``Accept`` says (apps send ``audio/*``, ``*/*``...);
    only errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    content_negotiation_class = _AnyAccept


class FeedView(_PublicView):
    @extend_schema(
        responses={
            (200, "application/rss+xml"): OpenApiResponse(
                OpenApiTypes.STR, "RSS 2.0 with the itunes and podcast namespaces"
            ),
            304: OpenApiResponse(description="Not modified (If-None-Match / If-Modified-Since)"),
            **_not_found,
        },
        parameters=[
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER),
            OpenApiParameter("If-Modified-Since", str, OpenApiParameter.HEADER),
        ],
        auth=[],
        tags=["feeds"],
        operation_id="feed_retrieve",
        summary="A show's podcast feed (GET or HEAD)",
    )
    def get(self, request: Request, show_id: UUID) -> HttpResponseBase:
        document = services.feed_document(show_id=show_id)
        head = request.method == "HEAD"
        response = HttpResponse(
            b"" if head else document.xml, content_type="application/rss+xml; charset=utf-8"
        )
        response["Content-Length"] = str(len(document.xml))
        response["ETag"] = document.etag
        response["Last-Modified"] = http_date(document.last_modified.timestamp())
        response["Cache-Control"] = "public, max-age=60"
        conditional = get_conditional_response(
            request,
            etag=document.etag,
            last_modified=int(document.last_modified.timestamp()),
            response=response,
        )
        return conditional or response


class EpisodeMediaView(_PublicView):
    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, "The whole file (local storage)"
            ),
            (206, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, "The requested byte range (local storage)"
            ),
            302: OpenApiResponse(description="S3 storage: a short-lived presigned GET"),
            416: OpenApiResponse(description="The range starts past the end of the file"),
            **_not_found,
        },
        parameters=[OpenApiParameter("Range", str, OpenApiParameter.HEADER)],
        auth=[],
        tags=["feeds"],
        operation_id="episode_media_retrieve",
        summary="The media of a live episode (the feed's enclosure URL); GET, HEAD, Range",
    )
    def get(
        self, request: Request, show_id: UUID, episode_id: UUID, extension: str
    ) -> HttpResponseBase:
        episode = selectors.live_episode_get(show_id=show_id, episode_id=episode_id)
        return media_response(
            get_storage(),
            episode,
            range_header=request.headers.get("Range", ""),
            head=request.method == "HEAD",
        )
