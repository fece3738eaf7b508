"""Paths of the pages that emails link to, defined once for the route and for the link.

A route declares its path with one of these constants, and a worker that writes an email builds
the link with `link(settings.base_url, CONSTANT, ...)`: the two cannot drift apart.
"""

from __future__ import annotations

import re
from urllib.parse import quote

LOGIN = "/login"
FORGOT_PASSWORD = "/password/forgot"  # noqa: S105 (a path)
VERIFY_EMAIL = "/verify/{token:str}"
RESET_PASSWORD = "/password/reset/{token:str}"  # noqa: S105 (a path)
DASHBOARD = "/app"
SIREN_TAKEN = "/signup/siren-taken"
CLAIM = "/claims/{claim_id:int}"
ADMIN_CLAIM = "/admin/claims/{claim_id:int}"

_PARAMETER = re.compile(r"\{(\w+):\w+\}")


def link(base_url: str, path: str, **params: object) -> str:
    """The absolute URL of `path` with its `{name:type}` parameters filled in, percent-encoded."""
    names = _PARAMETER.findall(path)
    if set(names) != set(params):
        raise ValueError(f"{path} takes {sorted(names)}, not {sorted(params)}")
    filled = _PARAMETER.sub(lambda match: quote(str(params[match.group(1)]), safe=""), path)
    return base_url.rstrip("/") + filled
