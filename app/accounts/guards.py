"""Who is asking: the session's identity, its start, and the guards that protect pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.accounts import rules
from app.accounts.tables import Membership, User
from app.clock import Clock
from app.errors import N_, Forbidden
from app.i18n import LOCALE_COOKIE, negotiate
from app.sessions import rotate_session_id
from app.web import settings_of


@dataclass(frozen=True)
class Identity:
    """The logged-in user and the organisation they are working in."""

    user_id: int
    email: str
    full_name: str
    locale: str
    has_totp: bool
    has_password: bool
    organisation_id: int | None
    organisation_name: str
    siren: str
    role: str | None
    is_platform_admin: bool = False
    organisation_suspended: bool = False

    @property
    def can_manage_members(self) -> bool:
        return self.role is not None and rules.can_manage_members(self.role)

    @property
    def is_owner(self) -> bool:
        return self.role == rules.Role.OWNER


def clock_of(request: Request[Any, Any, Any] | ASGIConnection[Any, Any, Any, Any]) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def _membership_row(user_id: int, org_id: object) -> dict[str, Any] | None:
    """The user's role and organisation facts in org_id, or None if they are not a member."""
    if not isinstance(org_id, int):
        return None
    row: dict[str, Any] | None = (
        await Membership.select(
            Membership.role,
            Membership.organisation.name,
            Membership.organisation.siren,
            Membership.organisation.suspended_at,
        )
        .where((Membership.user == user_id) & (Membership.organisation == org_id))
        .first()
    )
    return row


async def _identity_from_session(request: Request[Any, Any, Any]) -> Identity | None:
    session = request.session
    user_id = session.get("uid")
    if not isinstance(user_id, int):
        return None
    settings = settings_of(request)
    now = clock_of(request).now()
    logged_in_at = session.get("auth_at")
    if not isinstance(logged_in_at, str):  # every login writes it: this session was not ours
        return None
    authenticated_at = datetime.fromisoformat(logged_in_at)
    # Like every lifetime here, a session ends at the very instant its lifetime is up.
    if now - authenticated_at >= timedelta(hours=settings.session_absolute_hours):
        return None
    # Idle timeout on the injected clock (the Redis key's TTL stays as a backstop): a session
    # unused for session_idle_minutes is over; the last-seen instant moves at most once a minute.
    seen_at = datetime.fromisoformat(str(session.get("seen_at", logged_in_at)))
    if now - seen_at >= timedelta(minutes=settings.session_idle_minutes):
        return None
    if now - seen_at > timedelta(minutes=1):
        session["seen_at"] = now.isoformat()
    user = await User.objects().get(User.id == user_id)
    if user is None or user.session_epoch != session.get("epoch"):
        return None
    org_id = session.get("org")
    membership = await _membership_row(user.id, org_id)
    if membership is None and request.method == "GET":  # a HEAD arrives here as its GET
        # The member left or was removed: the next page view lands in another of their
        # organisations. A form posted meanwhile is refused instead of landing elsewhere.
        org_id = await default_organisation(user)
        membership = await _membership_row(user.id, org_id)
        session["org"] = org_id
    return Identity(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        locale=user.locale,
        has_totp=user.totp_enabled_at is not None,
        has_password=user.password_hash is not None,
        organisation_id=org_id if membership else None,
        organisation_name=membership["organisation.name"] if membership else "",
        siren=membership["organisation.siren"] if membership else "",
        role=membership["role"] if membership else None,
        is_platform_admin=bool(user.is_platform_admin),
        organisation_suspended=bool(membership and membership["organisation.suspended_at"]),
    )


async def load_identity(request: Request[Any, Any, Any]) -> None:
    """Attach identity and locale to the request (run for every request, before guards)."""
    identity = await _identity_from_session(request) if request.session else None
    if identity is None and request.session.get("uid") is not None:
        request.clear_session()  # expired, logged out elsewhere, or the user is gone
    request.state.identity = identity
    request.state.locale = negotiate(
        user_locale=identity.locale if identity else None,
        cookie_locale=request.cookies.get(LOCALE_COOKIE),
        accept_language=request.headers.get("accept-language"),
        default=settings_of(request).default_locale,
    )


class IdentityMiddleware(ASGIMiddleware):
    """Loads the session's identity before routing guards look at it."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        await load_identity(Request(scope))
        await next_app(scope, receive, send)


def start_session(request: Request[Any, Any, Any], user: User, organisation_id: int | None) -> None:
    """Log the user in with a fresh session id (the old one is dropped)."""
    now = clock_of(request).now().isoformat()
    request.set_session(
        {
            "uid": user.id,
            "epoch": user.session_epoch,
            "org": organisation_id,
            "auth_at": now,  # also the last time seen, until the idle check stores seen_at
        }
    )
    rotate_session_id(request)


async def default_organisation(user: User) -> int | None:
    """The organisation a user lands in: the last one used, else their first membership."""
    memberships = await Membership.select(Membership.organisation).where(Membership.user == user.id)
    ids = [row["organisation"] for row in memberships]
    if user.last_organisation_id in ids:
        return user.last_organisation_id
    return min(ids) if ids else None


def identity_of(request: Request[Any, Any, Any] | ASGIConnection[Any, Any, Any, Any]) -> Identity:
    identity: Identity | None = getattr(request.state, "identity", None)
    if identity is None:
        raise NotAuthorizedException()
    return identity


def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    identity_of(connection)


def requires_organisation(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    identity = identity_of(connection)
    if identity.organisation_id is None:
        raise PermissionDeniedException()


def requires_org_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    identity = identity_of(connection)
    if identity.organisation_id is None or not identity.can_manage_members:
        raise PermissionDeniedException()


def requires_owner(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    identity = identity_of(connection)
    if identity.organisation_id is None or not identity.is_owner:
        raise PermissionDeniedException()


def requires_platform_admin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Platform administration: platform administrators with two-factor login only.

    Everyone else gets the 404 of a page that does not exist; an administrator without a
    second factor is told to turn it on.
    """
    identity = identity_of(connection)
    if not identity.is_platform_admin:
        raise NotFoundException()
    if not identity.has_totp:
        raise Forbidden(
            N_(
                "L'administration de Ponctuel demande la double authentification : activez-la "
                "dans Mon compte, puis revenez sur cette page."
            )
        )
