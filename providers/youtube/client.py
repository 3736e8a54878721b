"""Building the YouTube Data API v3 client (google-api-python-client) for a channel's grant.

The discovery document shipped with the library is used (no network), with its root URL
replaced by ``YOUTUBE_API_URL``: ``client_options`` would keep the https scheme for media
uploads, which breaks plain-HTTP roots such as a local fake or an egress proxy.
"""

from __future__ import annotations

import copy
import json
from functools import cache

import google_auth_httplib2
from django.conf import settings
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource, build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.http import build_http

from providers.base import OAuthClientConfig

SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
)


@cache
def _static_document() -> dict:
    return json.loads(get_static_doc("youtube", "v3"))


def _discovery_document(root_url: str) -> dict:
    document = copy.deepcopy(_static_document())
    root = root_url.rstrip("/") + "/"
    document["rootUrl"] = document["baseUrl"] = document["mtlsRootUrl"] = root
    return document


def shared_client() -> OAuthClientConfig:
    """The server's own Google client (``YOUTUBE_CLIENT_ID`` / ``YOUTUBE_CLIENT_SECRET``)."""
    return OAuthClientConfig(
        client_id=settings.YOUTUBE_CLIENT_ID, client_secret=settings.YOUTUBE_CLIENT_SECRET
    )


def youtube_credentials(refresh_token: str, client: OAuthClientConfig) -> Credentials:
    """Credentials that mint access tokens from ``refresh_token`` at ``GOOGLE_OAUTH_TOKEN_URL``
    as ``client``, the client that obtained the grant (Google refuses any other)."""
    return Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=settings.GOOGLE_OAUTH_TOKEN_URL,
        client_id=client.client_id,
        client_secret=client.client_secret,
        scopes=list(SCOPES),
    )


def build_youtube(credentials: Credentials) -> Resource:
    """A YouTube client whose every request (API and media upload) goes to ``YOUTUBE_API_URL``.

    ``build_http`` keeps 308 out of the redirect codes, which resumable uploads need.
    """
    http = build_http()
    http.timeout = settings.YOUTUBE_HTTP_TIMEOUT
    authorized = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
    return build_from_document(_discovery_document(settings.YOUTUBE_API_URL), http=authorized)
