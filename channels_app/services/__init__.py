"""Writes on channels, one module per responsibility.

- ``limits``: the plan's channel limit, checked with the user's row locked.
- ``connect``: manual listings (connect, edit) and the entry point that picks manual or OAuth.
- ``oauth``: the OAuth flow with PKCE (start, callback, expired states).
- ``oauth_flows``: consents the callback holds until the account that started them finishes
  them (another account destroys them), and purging expired ones.
- ``grants``: stored refresh tokens: decrypting, replacing, re-encrypting, marking a channel
  NEEDS_REAUTH, revoking at the platform.
- ``refresh``: reading an account's current data from its platform.
- ``refresh_queue``: queueing refreshes of many channels.
- ``disconnect``: revoking, deleting, and telling the apps that depend on channels.
"""
