"""`python -m app.serve`: the one command that starts the web process, everywhere.

`make run`, the Docker image and Fly's `web` process all run it, so they serve the same way:
uvicorn with uvloop and httptools, no access log, and proxy headers (X-Forwarded-For) ignored
unless FORWARDED_ALLOW_IPS names the proxy that may set them. The address clients are
rate-limited by is then the socket's, or Fly's `Fly-Client-IP` when TRUST_FLY_CLIENT_IP is set.
"""

from __future__ import annotations

import os

import uvicorn

from app.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, object]:
    trusted_proxies = settings.forwarded_allow_ips.strip()
    return {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "proxy_headers": bool(trusted_proxies),
        "forwarded_allow_ips": trusted_proxies or None,
        "server_header": False,
    }


def main() -> None:
    settings = Settings.from_env(os.environ)
    uvicorn.run("app.main:app_from_env", **uvicorn_options(settings))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
