"""An anonymous visitor costs no server-side state: no session is made before one is needed.

Every GET route of the route table is requested without any cookie; none may leave a session in
Redis. Messages for such a visitor (an expired second step, say) travel in a short-lived sealed
cookie instead, which a forged or stale copy cannot use.
"""

from __future__ import annotations

import httpx
from litestar import Litestar
from redis.asyncio import Redis

from app.settings import Settings
from app.web import FLASH_PURPOSE
from tests.conftest import make_client
from tests.factories import flash_items
from tests.routes import routes_of

NOT_PAGES = ("/static/", "/dev/")  # files, and the development mail viewer


async def _session_keys(redis: Redis, settings: Settings) -> set[bytes]:
    return {key async for key in redis.scan_iter(match=f"{settings.redis_prefix}:session*")}


async def test_no_get_route_makes_a_session_for_a_visitor_without_cookies(
    app: Litestar, redis: Redis, settings: Settings
) -> None:
    made = []
    for route in routes_of(app, "GET"):
        if route.path.startswith(NOT_PAGES):
            continue
        async with make_client(app) as visitor:
            await visitor.get(route.url(), follow_redirects=False)
        if await _session_keys(redis, settings):
            made.append(route.path)
            for key in await _session_keys(redis, settings):
                await redis.delete(key)
    assert made == [], f"these pages made a server-side session for an anonymous visitor: {made}"


async def test_an_expired_second_step_is_explained_without_a_session(
    app: Litestar, redis: Redis, settings: Settings
) -> None:
    async with make_client(app) as visitor:
        page = await visitor.get("/login/2fa")
        assert str(page.url).endswith("/login")
        assert flash_items(page.text) == [
            ("error", "La vérification a expiré. Connectez-vous à nouveau.")
        ]
        again = await visitor.get("/login")
        assert "La vérification a expiré" not in again.text, "a message is shown once"
    assert await _session_keys(redis, settings) == set()


async def test_a_forged_or_stale_flash_cookie_shows_nothing(app: Litestar) -> None:
    keys = app.state.data_keys
    forged = keys.encrypt(
        '{"at": "2000-01-01T00:00:00+00:00", "items": [{"message": "Appelez le 0800", '
        '"category": "error"}]}',
        purpose=FLASH_PURPOSE,
    )
    for value in (forged, "not-sealed", keys.encrypt("{}", purpose="other")):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver.local",
            cookies={"flash": value},
        ) as visitor:
            page = await visitor.get("/login")
            assert page.status_code == 200
            assert "Appelez le 0800" not in page.text
