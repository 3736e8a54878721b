from __future__ import annotations

import logging
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from accounts.authentication import authenticated_user
from channels_app import selectors
from channels_app.api.serializers import (
    ChannelSerializer,
    ChannelUpdateInputSerializer,
    ConnectCompleteInputSerializer,
    ConnectInputSerializer,
    GoogleProjectInputSerializer,
    GoogleProjectSerializer,
    OAuthStartSerializer,
    PlatformSerializer,
    RefreshAllSerializer,
)
from channels_app.services.connect import channel_connect, channel_update
from channels_app.services.disconnect import channel_disconnect
from channels_app.services.google_projects import (
    google_project_create,
    google_project_delete,
    google_project_update,
)
from channels_app.services.oauth import OAuthCallbackError, OAuthStart, channel_oauth_callback
from channels_app.services.oauth_flows import oauth_flow_finish
from channels_app.services.refresh import channel_refresh
from channels_app.services.refresh_queue import channels_refresh_all
from core.kept_responses import Built, KeptListView
from core.openapi import ErrorResponseSerializer

logger = logging.getLogger(__name__)

_errors = {
    403: OpenApiResponse(ErrorResponseSerializer, "plan_limit_reached"),
    404: OpenApiResponse(ErrorResponseSerializer, "not_found"),
    409: OpenApiResponse(ErrorResponseSerializer, "already_connected"),
    503: OpenApiResponse(ErrorResponseSerializer, "provider_not_configured"),
}


class PlatformListView(APIView):
    """The ten platforms; public, like the plan catalogue (it names no user data)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=PlatformSerializer(many=True), tags=["channels"])
    def get(self, request: Request) -> Response:
        return Response(PlatformSerializer(selectors.platform_list(), many=True).data)


class ChannelListView(KeptListView):
    @extend_schema(responses=ChannelSerializer(many=True), tags=["channels"])
    def get(self, request: Request) -> HttpResponseBase:
        return self.kept(request, lambda: self._list(request))

    def _list(self, request: Request) -> Built:
        channels = selectors.channel_list(user=authenticated_user(request))
        return Response(ChannelSerializer(channels, many=True).data), None


class ChannelConnectView(APIView):
    @extend_schema(
        request=ConnectInputSerializer,
        responses={
            201: ChannelSerializer,
            200: OAuthStartSerializer,
            **{code: _errors[code] for code in (403, 404, 409, 503)},
        },
        description=(
            "Manual platforms (podcast directories, Audiomack) answer 201 with the channel: "
            "PENDING until `providerChannelId` (an id or a link) is recorded, then ACTIVE. "
            "A podcast directory takes `showId` (one of the user's shows, else 404): the "
            "channel is that show's listing, its `meta` has `submissionUrl` and the `feedUrl` "
            "to submit there, and uploads to it become episodes of the show. Without a show "
            "it only records a listing hosted elsewhere. "
            "OAuth platforms (YouTube, SoundCloud) answer 200 with the consent URL to open. "
            "On the Agency plan, YouTube takes `googleProjectId` (one of the user's own Google "
            "projects, else 404): the consent, and the channel afterwards, use that project's "
            "OAuth client and quota (403 `plan_feature_unavailable` on other plans; 409 "
            "`google_project_unusable` when its stored secret can no longer be read)."
        ),
        tags=["channels"],
    )
    def post(self, request: Request) -> Response:
        data = ConnectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = channel_connect(user=authenticated_user(request), **data.validated_data)
        if isinstance(result, OAuthStart):
            return Response(OAuthStartSerializer(result).data)
        return Response(ChannelSerializer(result).data, status=status.HTTP_201_CREATED)


class ChannelConnectCompleteView(APIView):
    @extend_schema(
        request=ConnectCompleteInputSerializer,
        responses={
            201: ChannelSerializer,
            403: _errors[403],
            404: OpenApiResponse(
                ErrorResponseSerializer,
                "not_found: unknown, used or expired flow, or a flow another account started "
                "(that flow is then destroyed and its grant revoked at the platform).",
            ),
            409: _errors[409],
        },
        description=(
            "Finishes an OAuth connect: `flow` is the `oauthFlow` of the callback's redirect. "
            "Only the account that started the connect can finish it, once, before "
            "`OAUTH_STATE_TTL` runs out. The plan's channel limit (403, the flow stays usable) "
            "and `already_connected` (409) are checked here."
        ),
        tags=["channels"],
    )
    def post(self, request: Request) -> Response:
        data = ConnectCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = oauth_flow_finish(user=authenticated_user(request), **data.validated_data)
        return Response(ChannelSerializer(channel).data, status=status.HTTP_201_CREATED)


class ChannelDetailView(APIView):
    @extend_schema(
        request=ChannelUpdateInputSerializer,
        responses={200: ChannelSerializer, 404: _errors[404], 409: _errors[409]},
        tags=["channels"],
    )
    def patch(self, request: Request, channel_id: uuid.UUID) -> Response:
        channel = selectors.channel_get(user=authenticated_user(request), channel_id=channel_id)
        data = ChannelUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = channel_update(channel=channel, **data.validated_data)
        return Response(ChannelSerializer(channel).data)

    @extend_schema(responses={204: None, 404: _errors[404]}, tags=["channels"])
    def delete(self, request: Request, channel_id: uuid.UUID) -> Response:
        channel = selectors.channel_get(user=authenticated_user(request), channel_id=channel_id)
        channel_disconnect(channel=channel)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelRefreshView(APIView):
    @extend_schema(
        request=None,
        responses={200: ChannelSerializer, 404: _errors[404], 503: _errors[503]},
        description="Reads the account now. A revoked grant answers 200 with NEEDS_REAUTH.",
        tags=["channels"],
    )
    def post(self, request: Request, channel_id: uuid.UUID) -> Response:
        channel = selectors.channel_get(user=authenticated_user(request), channel_id=channel_id)
        channel = channel_refresh(channel=channel)
        return Response(ChannelSerializer(channel).data)


class ChannelRefreshAllView(APIView):
    @extend_schema(request=None, responses={202: RefreshAllSerializer}, tags=["channels"])
    def post(self, request: Request) -> Response:
        queued = channels_refresh_all(user=authenticated_user(request))
        return Response(RefreshAllSerializer({"queued": queued}).data, status=202)


class OAuthCallbackView(APIView):
    """Where the platform sends the browser back after consent; answers with a redirect.

    The browser may belong to someone other than the account that started the consent, so
    the result is only held; see ``channels_app.services.oauth_flows``.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "platform",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=selectors.oauth_platform_ids(),
            ),
            OpenApiParameter("code", OpenApiTypes.STR, required=False),
            OpenApiParameter("state", OpenApiTypes.STR, required=False),
            OpenApiParameter("error", OpenApiTypes.STR, required=False),
        ],
        responses={
            302: OpenApiResponse(
                description="To `{FRONTEND_BASE_URL}/channels?oauthFlow={flowId}&platform="
                "{platform}`: nothing is connected yet; the frontend finishes with `POST "
                "/api/v1/channels/connect/complete {flow}` under its own token. Or to "
                "`?error={code}` (invalid_state, missing_code, access_denied, invalid_grant, "
                "no_channel, scope_not_granted, no_refresh_token, provider_unavailable, ...). "
                "The code and the grant never reach the frontend."
            )
        },
        tags=["channels"],
    )
    def get(self, request: Request, platform: str) -> HttpResponseRedirect:
        try:
            flow = channel_oauth_callback(
                platform=platform,
                state=request.query_params.get("state", ""),
                code=request.query_params.get("code", ""),
                error=request.query_params.get("error", ""),
            )
        except OAuthCallbackError as exc:
            logger.info("oauth callback for %s failed: %s", platform, exc.code)
            query = {"error": exc.code}
        else:
            query = {"oauthFlow": flow, "platform": platform}
        return HttpResponseRedirect(f"{settings.FRONTEND_BASE_URL}/channels?{urlencode(query)}")


_project_errors = {
    403: OpenApiResponse(
        ErrorResponseSerializer,
        "plan_feature_unavailable: not on the Agency plan; plan_limit_reached: as many projects "
        "as the plan allows channels.",
    ),
    404: OpenApiResponse(ErrorResponseSerializer, "not_found (also another user's project)"),
    409: OpenApiResponse(
        ErrorResponseSerializer,
        "google_project_in_use: channels (or a consent being finished) hold grants of its client.",
    ),
}


@extend_schema(tags=["google-projects"])
class GoogleProjectViewSet(ViewSet):
    """Creators' own Google Cloud projects (Agency plan): their OAuth client and YouTube quota.

    Reading and deleting stay open on every plan, so a creator who left Agency still sees and
    can remove what they registered; creating, editing and connecting through one need it.
    """

    @extend_schema(responses=GoogleProjectSerializer(many=True))
    def list(self, request: Request) -> Response:
        projects = selectors.google_project_list(user=authenticated_user(request))
        return Response(GoogleProjectSerializer(projects, many=True).data)

    @extend_schema(
        request=GoogleProjectInputSerializer,
        responses={201: GoogleProjectSerializer, 403: _project_errors[403]},
        description="Registers an OAuth client (web application) of the creator's own Google "
        "Cloud project, with the YouTube Data API enabled and `redirectUri` among its "
        "authorized redirect URIs. The secret is stored encrypted and never returned.",
    )
    def create(self, request: Request) -> Response:
        user = authenticated_user(request)
        data = GoogleProjectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = google_project_create(owner=user, **data.validated_data)
        return Response(
            GoogleProjectSerializer(
                selectors.google_project_get(user=user, project_id=project.pk)
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={200: GoogleProjectSerializer, 404: _project_errors[404]})
    def retrieve(self, request: Request, project_id: uuid.UUID) -> Response:
        project = selectors.google_project_get(
            user=authenticated_user(request), project_id=project_id
        )
        return Response(GoogleProjectSerializer(project).data)

    @extend_schema(
        request=GoogleProjectInputSerializer(partial=True),
        responses={200: GoogleProjectSerializer, **_project_errors},
        description="Any of the fields. `clientId` changes only while no channel uses the "
        "project (409): their grants belong to the old client.",
    )
    def partial_update(self, request: Request, project_id: uuid.UUID) -> Response:
        user = authenticated_user(request)
        project = selectors.google_project_get(user=user, project_id=project_id)
        data = GoogleProjectInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        google_project_update(project=project, **data.validated_data)
        return Response(
            GoogleProjectSerializer(
                selectors.google_project_get(user=user, project_id=project_id)
            ).data
        )

    @extend_schema(responses={204: None, 404: _project_errors[404], 409: _project_errors[409]})
    def destroy(self, request: Request, project_id: uuid.UUID) -> Response:
        project = selectors.google_project_get(
            user=authenticated_user(request), project_id=project_id
        )
        google_project_delete(project=project)
        return Response(status=status.HTTP_204_NO_CONTENT)
