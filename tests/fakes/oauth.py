"""A fake OAuth 2 authorization server with PKCE, shared by the Google and SoundCloud fakes.

It is as strict as the real servers where it matters for security: a code is single-use and
bound to the client, the redirect URI and the PKCE challenge of the request it was issued for;
refresh tokens stop working once revoked (``invalid_grant``); with ``rotate_refresh_tokens``
(SoundCloud) each refresh token works once and the refresh returns a new one.

There is no consent page: a test "approves" an authorization URL for an account with
:meth:`FakeOAuthServer.consent` and gets back the redirect the browser would follow.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.http import FakeHTTPServer, FakeRequest, FakeResponse


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass
class Grant:
    """One account's consent to one client: its refresh token and live access tokens."""

    account: str
    client_id: str
    scope: str
    refresh_token: str | None
    access_tokens: set[str] = field(default_factory=set)
    revoked: bool = False


@dataclass
class PendingCode:
    account: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    offline: bool


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class FakeOAuthServer(FakeHTTPServer):
    token_path = "/token"
    #: Whether a refresh token is only issued for ``access_type=offline`` (Google) or always.
    refresh_token_needs_offline = False
    rotate_refresh_tokens = False

    def __init__(self) -> None:
        super().__init__()
        self.clients: dict[str, OAuthClient] = {}
        self.codes: dict[str, PendingCode] = {}
        self.grants: list[Grant] = []
        self.revoked_tokens: list[str] = []
        self.route("POST", self.token_path, self.handle_token)

    # --- test helpers ---------------------------------------------------------------------
    def register_client(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.clients[client_id] = OAuthClient(client_id, client_secret, redirect_uri)

    def consent(
        self, authorization_url: str, *, account: str, granted_scope: str | None = None
    ) -> str:
        """Approve ``authorization_url`` as ``account``: the URL the browser is sent back to.

        ``granted_scope`` narrows what the user ticked (granular consent); default: all.
        """
        query = dict(parse_qsl(urlsplit(authorization_url).query))
        client = self.clients.get(query.get("client_id", ""))
        if client is None or query.get("redirect_uri") != client.redirect_uri:
            raise AssertionError(f"consent refused: unknown client or redirect_uri in {query}")
        if query.get("response_type") != "code":
            raise AssertionError("consent refused: response_type must be code")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise AssertionError("consent refused: PKCE with S256 is required")
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = PendingCode(
                account=account,
                client_id=client.client_id,
                redirect_uri=client.redirect_uri,
                scope=query.get("scope", "") if granted_scope is None else granted_scope,
                code_challenge=query["code_challenge"],
                offline=query.get("access_type") == "offline",
            )
        return self._redirect(client.redirect_uri, {"state": query.get("state", ""), "code": code})

    def deny(self, authorization_url: str) -> str:
        """The redirect when the user declines consent."""
        query = dict(parse_qsl(urlsplit(authorization_url).query))
        return self._redirect(
            query["redirect_uri"], {"state": query.get("state", ""), "error": "access_denied"}
        )

    def issue_grant(self, *, account: str, client_id: str, scope: str = "") -> str:
        """A refresh token for ``account`` as if it had consented earlier."""
        refresh_token = self._new_token("1//refresh")
        with self.lock:
            self.grants.append(Grant(account, client_id, scope, refresh_token))
        return refresh_token

    def revoke_account(self, account: str) -> None:
        """The user removes the app's access in their account settings."""
        with self.lock:
            for grant in self.grants:
                if grant.account == account:
                    grant.revoked = True

    def account_for_access_token(self, token: str | None) -> str | None:
        with self.lock:
            for grant in self.grants:
                if not grant.revoked and token in grant.access_tokens:
                    return grant.account
        return None

    def token_client_ids(self, grant_type: str) -> list[str]:
        """The client id each ``grant_type`` request to the token endpoint authenticated as."""
        return [
            (r.basic_auth() or (r.form().get("client_id", ""), ""))[0]
            for r in self.requests_to(self.token_path, "POST")
            if r.form().get("grant_type") == grant_type
        ]

    def live_refresh_tokens(self) -> list[str]:
        with self.lock:
            return [g.refresh_token for g in self.grants if g.refresh_token and not g.revoked]

    # --- protocol -------------------------------------------------------------------------
    @staticmethod
    def _redirect(redirect_uri: str, params: dict[str, str]) -> str:
        separator = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{separator}{urlencode(params)}"

    @staticmethod
    def _new_token(prefix: str) -> str:
        return f"{prefix}-{secrets.token_urlsafe(24)}"

    @staticmethod
    def oauth_error(error: str, description: str, status: int = 400) -> FakeResponse:
        return FakeResponse(status, {"error": error, "error_description": description})

    def _authenticate_client(self, request: FakeRequest, form: dict[str, str]) -> OAuthClient:
        client_id, client_secret = request.basic_auth() or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        client = self.clients.get(client_id)
        if client is None or client.client_secret != client_secret:
            raise _TokenError(self.oauth_error("invalid_client", "Unauthorized", 401))
        return client

    def _token_response(self, grant: Grant, *, with_refresh: bool) -> FakeResponse:
        access_token = self._new_token("ya29.access")
        grant.access_tokens.add(access_token)
        body = {
            "access_token": access_token,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": grant.scope,
        }
        if with_refresh and grant.refresh_token:
            body["refresh_token"] = grant.refresh_token
        return FakeResponse(200, body, {"Cache-Control": "no-store"})

    def handle_token(self, request: FakeRequest) -> FakeResponse:
        form = request.form()
        try:
            with self.lock:
                client = self._authenticate_client(request, form)
                grant_type = form.get("grant_type")
                if grant_type == "authorization_code":
                    return self._authorization_code(client, form)
                if grant_type == "refresh_token":
                    return self._refresh(client, form)
                return self.oauth_error("unsupported_grant_type", "Invalid grant_type")
        except _TokenError as exc:
            return exc.response

    def _authorization_code(self, client: OAuthClient, form: dict[str, str]) -> FakeResponse:
        pending = self.codes.pop(form.get("code", ""), None)  # a code is used at most once
        if pending is None:
            return self.oauth_error("invalid_grant", "Malformed auth code.")
        if pending.client_id != client.client_id:
            return self.oauth_error("invalid_grant", "Unauthorized client for this code.")
        if form.get("redirect_uri") != pending.redirect_uri:
            return self.oauth_error("redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier")
        if not verifier:
            return self.oauth_error("invalid_grant", "Missing code verifier.")
        if s256(verifier) != pending.code_challenge:
            return self.oauth_error("invalid_grant", "Invalid code verifier.")
        with_refresh = pending.offline or not self.refresh_token_needs_offline
        grant = Grant(
            account=pending.account,
            client_id=client.client_id,
            scope=pending.scope,
            refresh_token=self._new_token("1//refresh") if with_refresh else None,
        )
        self.grants.append(grant)
        return self._token_response(grant, with_refresh=True)

    def _refresh(self, client: OAuthClient, form: dict[str, str]) -> FakeResponse:
        token = form.get("refresh_token")
        grant = next((g for g in self.grants if token and g.refresh_token == token), None)
        if grant is None or grant.revoked or grant.client_id != client.client_id:
            return self.oauth_error("invalid_grant", "Token has been expired or revoked.")
        if self.rotate_refresh_tokens:
            grant.refresh_token = self._new_token("1//refresh")
        return self._token_response(grant, with_refresh=self.rotate_refresh_tokens)


class _TokenError(Exception):
    def __init__(self, response: FakeResponse):
        super().__init__(response.status)
        self.response = response
