"""How `python -m app.serve` configures uvicorn: proxy headers stay off unless a proxy is named."""

from __future__ import annotations

from typing import Any

import uvicorn
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.serve import uvicorn_options
from app.settings import Settings


async def _asgi_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("not called")


def _loaded(settings: Settings) -> uvicorn.Config:
    """The uvicorn config the options make, loaded as the server would (with a stand-in app)."""
    options = {**uvicorn_options(settings), "factory": False}
    config = uvicorn.Config(_asgi_app, **options)  # type: ignore[arg-type]
    config.load()
    return config


def test_by_default_uvicorn_ignores_proxy_headers() -> None:
    options = uvicorn_options(Settings())
    assert options["proxy_headers"] is False
    config = _loaded(Settings())
    assert not isinstance(config.loaded_app, ProxyHeadersMiddleware)


def test_the_defaults_serve_the_factory_on_loopback_quietly() -> None:
    options = uvicorn_options(Settings())
    assert options["factory"] is True
    assert (options["host"], options["port"]) == ("127.0.0.1", 8000)
    assert options["access_log"] is False and options["server_header"] is False
    assert (options["loop"], options["http"]) == ("uvloop", "httptools")


def test_a_named_proxy_turns_proxy_headers_on_for_that_proxy_only() -> None:
    settings = Settings(forwarded_allow_ips=" 10.0.0.7 ")
    assert uvicorn_options(settings)["forwarded_allow_ips"] == "10.0.0.7"
    config = _loaded(settings)
    assert isinstance(config.loaded_app, ProxyHeadersMiddleware)
    assert config.forwarded_allow_ips == "10.0.0.7"


def test_blank_forwarded_allow_ips_keeps_proxy_headers_off() -> None:
    assert uvicorn_options(Settings(forwarded_allow_ips="   "))["proxy_headers"] is False
