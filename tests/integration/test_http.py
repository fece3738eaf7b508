"""HTTP behaviour of every route: HEAD, private caching, no published schema, request sizes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.conftest import make_client
from tests.factories import log_in, make_creditor
from tests.routes import routes_of

Client = httpx.AsyncClient
# Headers that differ between any two responses, whatever the method.
PER_RESPONSE_HEADERS = {"set-cookie", "date"}


@pytest.fixture
async def owner(app: Litestar) -> AsyncIterator[Client]:
    """A client logged in as the owner of an organisation, who passes every guard."""
    await make_creditor(email="owner@example.com")
    async with make_client(app) as owner_client:
        await log_in(owner_client, "owner@example.com")
        yield owner_client


def _comparable(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in PER_RESPONSE_HEADERS}


@pytest.mark.parametrize("who", ["visitor", "owner"])
async def test_every_get_route_answers_head_like_get_without_a_body(
    app: Litestar, client: Client, owner: Client, who: str
) -> None:
    browser = owner if who == "owner" else client
    mismatches = []
    for route in routes_of(app, "GET"):
        url = route.url()
        await browser.get(url, follow_redirects=False)  # shows any pending flash message
        get = await browser.get(url, follow_redirects=False)
        head = await browser.head(url, follow_redirects=False)
        if head.status_code != get.status_code or _comparable(head) != _comparable(get):
            mismatches.append(f"{url}: HEAD {head.status_code} {head.headers} != GET {get}")
        elif head.content != b"":
            mismatches.append(f"{url}: HEAD sent a body of {len(head.content)} bytes")
    assert mismatches == []


async def _sent(app: Litestar, method: str, path: str) -> tuple[dict[str, str], bytes]:
    """Call the application directly, as a server would: the headers and every body byte sent.

    (httpx drops the body of a HEAD response itself, so only this shows what the app sent.)
    """
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver.local")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    start = messages[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return {"status": str(start["status"]), **headers}, body


async def test_head_sends_the_get_headers_and_no_body_byte(app: Litestar) -> None:
    get_headers, page = await _sent(app, "GET", "/")
    head_headers, nothing = await _sent(app, "HEAD", "/")
    assert head_headers["status"] == "200" and nothing == b""
    assert head_headers["content-length"] == get_headers["content-length"] == str(len(page))
    assert head_headers["content-type"].startswith("text/html")
