"""The company page's floor: read the company by its SIREN and render the same template.

No middleware, no session, no cache, no ETag: one Litestar handler that runs the page's own
queries (app/public/queries.py) and renders `public/company.html` with the app's Jinja
environment. The app's figure beside this one is what the rest of the stack costs.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

from litestar import Litestar, Response, get
from litestar.exceptions import NotFoundException

from app.db import bind_engine, close_pool, engine_for, open_pool
from app.main import DATABASE_POOL_SIZE
from app.piccolo_app import ALL_TABLES
from app.public import queries
from app.public.chart import history_chart
from app.scores import rules as score_rules
from app.settings import Settings
from app.web import make_environment

ENVIRONMENT = make_environment()
ENVIRONMENT.globals.update(url_for=lambda *args, **kwargs: "/", csrf_token=lambda: "")
TEMPLATE = ENVIRONMENT.get_template("public/company.html")


@get("/entreprises/{siren:str}")
async def company_page(siren: str) -> Response[bytes]:
    found = await queries.company_row(siren)
    if found is None:
        raise NotFoundException()
    company_id, identity = found
    page = await queries.company_page(company_id, identity)
    history = page.score.history if page.score else ()
    visitor = SimpleNamespace(
        url=SimpleNamespace(path=f"/entreprises/{siren}"), state=SimpleNamespace(identity=None)
    )
    context: dict[str, Any] = {
        "request": visitor,
        "csrf_input": "",
        "flashes": [],
        "locale": "fr",
        "format_locale": "fr_FR",
        "page": page,
        "company": identity,
        "score": page.score,
        "chart": history_chart([(point.month, point.value) for point in history]),
        "canonical_url": f"http://127.0.0.1/entreprises/{siren}",
        "method": score_rules,
    }
    return Response(TEMPLATE.render(**context).encode(), media_type="text/html; charset=utf-8")


def create_app() -> Litestar:
    engine = engine_for(Settings.from_env(os.environ))
    bind_engine(engine, ALL_TABLES)

    @asynccontextmanager
    async def pool(_: Litestar) -> AsyncIterator[None]:
        await open_pool(engine, size=DATABASE_POOL_SIZE)  # the app's own pool
        try:
            yield
        finally:
            await close_pool(engine)

    return Litestar(route_handlers=[company_page], lifespan=[pool])
