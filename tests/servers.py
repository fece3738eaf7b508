"""Real servers for tests: run an ASGI application over HTTP on 127.0.0.1, in the test's loop.

    sock = listening_socket()
    app = create_oidc_sandbox(url_of(sock))
    async with serve_asgi(app, sock=sock) as base_url:
        ...

Binding the socket first gives the URL before the application is built (the sandbox provider
needs its issuer URL) and leaves no window for another process to take the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import uvicorn

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

STARTUP_TIMEOUT_SECONDS = 10.0


def listening_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A TCP socket bound to `host:port` (port 0: any free port), ready to hand to `serve_asgi`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http:// base URL of a bound socket, without a trailing slash."""
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


class _TestServer(uvicorn.Server):
    """A uvicorn server that leaves the signal handlers alone, so Ctrl-C still stops pytest."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_asgi(
    app: ASGIApp,
    *,
    sock: socket.socket | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    options: Mapping[str, Any] | None = None,
) -> AsyncIterator[str]:
    """Serve `app` until the block ends; yields its base URL once the server accepts requests.

    Pass `sock` from `listening_socket()` when the URL must be known before `app` is built;
    otherwise the server binds `host:port` itself (port 0: any free port). `options` are more
    uvicorn.Config arguments (proxy headers, HTTP implementation...).
    """
    sock = sock or listening_socket(host, port)
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="auto",
        timeout_graceful_shutdown=2,
        **(options or {}),
    )
    server = _TestServer(config)

    async def run() -> None:
        try:
            await server.serve(sockets=[sock])
        except SystemExit as exc:  # uvicorn exits when the application's startup fails
            raise RuntimeError(f"the test server for {app!r} did not start") from exc

    task = asyncio.create_task(run())
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_SECONDS):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError(f"the test server for {app!r} stopped at startup")
                await asyncio.sleep(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        await task
        sock.close()
