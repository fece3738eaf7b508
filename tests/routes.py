"""The application's route table, for tests that must cover every route of a kind.

    for route in routes_of(app, "GET"):
        await client.get(route.url())

A route whose path parameter has no example value makes `url()` fail with the name to add
to PATH_EXAMPLES, so a new kind of URL cannot slip past these tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

# Path parameter -> a value that reaches the handler (unknown ids and tokens answer 404/400).
PATH_EXAMPLES: dict[str, str] = {
    "token": "jeton-inconnu",
    "provider": "inconnu",
    "message_id": "inconnu",
    "file_path": "css/app.css",
    "membership_id": "999999",
    "invitation_id": "999999",
    "identity_id": "999999",
    "claim_id": "999999",
    "reference": "552120222-societe-generale",  # a company page (unknown in an empty registry)
    "part": "0",  # the first company sitemap
    "path": "openapi.json",  # the schema's one rendering (others answer 404)
    "siren": "552120222",  # the API's company (unknown in an empty registry: 404)
}

_PARAMETER = re.compile(r"\{(\w+):\w+\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template, e.g. /verify/{token:str}
    handler: HTTPRouteHandler

    @property
    def name(self) -> str:
        return self.handler.name or self.path

    @property
    def parameters(self) -> list[str]:
        return _PARAMETER.findall(self.path)

    @property
    def needs_login(self) -> bool:
        return bool(self.handler.resolve_guards())

    def url(self, values: Mapping[str, str] | None = None) -> str:
        """The path with example values (or `values`) in place of its parameters."""
        examples = {**PATH_EXAMPLES, **(values or {})}

        def example(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in examples, f"{self.path}: add an example of {name!r} to PATH_EXAMPLES"
            return examples[name]

        return _PARAMETER.sub(example, self.path)


def routes_of(app: Litestar, method: str) -> list[Route]:
    """Every route the application answers with `method` (HEAD and OPTIONS are implicit)."""
    routes = [
        Route(method, route.path, handler)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if method in handler.http_methods
    ]
    assert routes, f"no {method} route: the route table was not read"
    return routes
