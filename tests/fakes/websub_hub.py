"""A local WebSub hub: ``POST /`` with ``hub.mode=publish&hub.url=...`` answered 204.

``fail_next`` answers that many pings with 503 first, to exercise the retries.
"""

from __future__ import annotations

from tests.fakes.http import FakeHTTPServer, FakeRequest, FakeResponse


class FakeWebSubHub(FakeHTTPServer):
    def __init__(self) -> None:
        super().__init__()
        self.fail_next = 0
        self.route("POST", "/", self._publish)

    def _publish(self, request: FakeRequest) -> FakeResponse:
        form = request.form()
        if form.get("hub.mode") != "publish" or not form.get("hub.url"):
            return FakeResponse(400, "hub.mode=publish and hub.url are required")
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                return FakeResponse(503, "try later")
        return FakeResponse(204)

    def pinged_urls(self) -> list[str]:
        """The feed URLs of the pings the hub accepted or refused, in order."""
        return [r.form()["hub.url"] for r in self.requests_to("/", "POST")]
