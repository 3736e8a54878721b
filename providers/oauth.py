"""PKCE (RFC 7636) pieces shared by every OAuth provider."""

from __future__ import annotations

import base64
import hashlib
import secrets


def new_code_verifier() -> str:
    """A fresh verifier: 64 characters from the unreserved set (RFC 7636 allows 43-128)."""
    return secrets.token_urlsafe(48)


def code_challenge(code_verifier: str) -> str:
    """The S256 challenge: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
