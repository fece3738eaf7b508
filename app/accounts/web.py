"""What the account routes share besides the guards: the last steps of every login, the
account page's common context, the provider pending-login cookie, and per-account checks.

Route modules never import each other; whatever two of them need lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app.accounts import queries
from app.accounts.guards import (
    Identity,
    clock_of,
    default_organisation,
    identity_of,
    start_session,
)
from app.accounts.oidc import OidcProvider, provider_label
from app.accounts.service import oidc as oidc_service
from app.accounts.service import providers as providers_service
from app.accounts.service.attempts import AccountChecks
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.tables import User
from app.errors import N_
from app.messaging.email import queue_email
from app.sessions import rotate_session_id
from app.web import (
    absolute_url,
    client_ip,
    data_keys_of,
    redirect_to,
    safe_next,
    settings_of,
    user_agent,
)

Req = Request[Any, Any, Any]

PENDING_LINK_KEY = "pending_link"


def account_checks(request: Request[Any, Any, Any]) -> AccountChecks:
    """How this request's code and password checks count against the account's allowance."""
    settings = settings_of(request)
    identity: Identity | None = getattr(request.state, "identity", None)
    return AccountChecks(
        limiter=request.app.state.limiter,
        queue=request.app.state.queue,
        clock=clock_of(request),
        limit=settings.account_attempt_limit,
        window_seconds=settings.account_lockout_minutes * 60,
        ip=client_ip(request),
        user_agent=user_agent(request),
        organisation_id=identity.organisation_id if identity else None,
        password_link=absolute_url(request, "accounts.forgot_password"),
    )


async def finish_login(
    request: Request[Any, Any, Any],
    user: User,
    *,
    next_url: str,
    method: str,
    link: oidc_service.ProviderLink | None = None,
) -> Response[Any]:
    """Second factor when enabled, else open the session and go where the user was heading.

    A provider `link` the user has proven (with the password) is saved when the session opens,
    that is after the second factor: it waits with the pending login meanwhile.
    """
    destination = safe_next(next_url, request.app.route_reverse("accounts.dashboard"))
    session = request.scope.get("session")
    if isinstance(session, dict):
        session.pop(PENDING_LINK_KEY, None)  # a link of an abandoned login is not carried over
    if user.totp_enabled_at is not None:
        now = clock_of(request).now()
        pending: dict[str, Any] = {
            "pending_uid": user.id,
            "pending_at": now.isoformat(),
            "pending_method": method,
            "next": destination,
        }
        if link is not None and link.user_id == user.id:
            # Restamped: the link now lives exactly as long as the second step.
            pending[PENDING_LINK_KEY] = {**link.to_session(), "started_at": now.isoformat()}
        request.set_session(pending)
        rotate_session_id(request)
        return redirect_to(request, "accounts.login_totp")
    await open_session(request, user, method=method, link=link)
    return Redirect(path=destination, status_code=303)


async def open_session(
    request: Request[Any, Any, Any],
    user: User,
    *,
    method: str,
    link: oidc_service.ProviderLink | None = None,
) -> None:
    """Log the user in (fresh session id) and record the login in the audit log.

    A provider link given here, or waiting in the session since `finish_login` sent the user to
    the second step, is saved first (and the user told by email).
    """
    link = link or _link_awaiting_second_factor(request, user)
    organisation_id = await default_organisation(user)
    if link is not None and link.user_id == user.id:
        await save_provider_link(request, link, organisation_id=organisation_id)
    start_session(request, user, organisation_id)
    await record_event(
        action=AuditAction.LOGIN,
        clock=clock_of(request),
        user_id=user.id,
        organisation_id=organisation_id,
        actor_email=user.email,
        target=method,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )


def _link_awaiting_second_factor(
    request: Request[Any, Any, Any], user: User
) -> oidc_service.ProviderLink | None:
    session = request.scope.get("session")
    if not isinstance(session, dict) or session.get("pending_uid") != user.id:
        return None
    return oidc_service.ProviderLink.from_session(
        session.get(PENDING_LINK_KEY), now=clock_of(request).now()
    )


async def save_provider_link(
    request: Request[Any, Any, Any],
    link: oidc_service.ProviderLink,
    *,
    organisation_id: int | None,
) -> providers_service.LinkChange:
    """Link a proven identity to its account and tell the account's owner by email."""
    change = await providers_service.link_identity(
        user_id=link.user_id,
        provider=link.provider,
        issuer=link.issuer,
        subject=link.subject,
        email=link.email,
        clock=clock_of(request),
        organisation_id=organisation_id,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    if change.changed:
        await send_provider_notice(request, change, linked=True)
    return change


async def send_provider_notice(
    request: Request[Any, Any, Any], change: providers_service.LinkChange, *, linked: bool
) -> None:
    """The email that tells an account's owner a provider was linked to it or removed."""
    await queue_email(
        request.app.state.queue,
        template="provider_linked" if linked else "provider_unlinked",
        to=change.email,
        subject=(
            N_("Un fournisseur de connexion a été relié à votre compte Ponctuel")
            if linked
            else N_("Un fournisseur de connexion a été retiré de votre compte Ponctuel")
        ),
        locale=change.locale,
        provider=provider_label(change.provider),
        account_link=absolute_url(request, "accounts.settings"),
        reset_link=absolute_url(request, "accounts.forgot_password"),
    )


def authenticated_at(request: Request[Any, Any, Any]) -> datetime:
    """When the login that opened this session happened."""
    return datetime.fromisoformat(request.session["auth_at"])  # set by every login


async def account_page_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What every rendering of the account page shows besides its forms."""
    identity = identity_of(request)
    providers = request.app.state.oidc_providers.values()
    return {
        "sign_in": await queries.sign_in_methods(
            identity.user_id,
            has_password=identity.has_password,
            providers={provider.name: provider.label for provider in providers},
        ),
        "security_events": await queries.personal_events(identity.user_id, identity.email),
    }


# --- providers and the pending-login cookie ----------------------------------------------------


def provider_named(request: Req, name: str) -> OidcProvider:
    """A configured provider by its name; 404 for any other name."""
    providers: Mapping[str, OidcProvider] = request.app.state.oidc_providers
    provider = providers.get(name)
    if provider is None:
        raise NotFoundException()
    return provider


def _cookie_name(request: Req) -> str:
    return settings_of(request).cookie_name("oidc-pending")


def _keep_pending_login(
    request: Req, response: Response[Any], pending: oidc_service.PendingProviderLogin
) -> None:
    response.set_cookie(
        _cookie_name(request),
        oidc_service.seal_pending_login(pending, keys=data_keys_of(request)),
        max_age=int(oidc_service.PENDING_LOGIN_TTL.total_seconds()),
        path="/",
        secure=settings_of(request).cookies_secure,
        httponly=True,
        samesite="lax",
    )


def take_pending_login(request: Req) -> oidc_service.PendingProviderLogin | None:
    """The pending login of this browser, if its cookie opens and is recent enough."""
    return oidc_service.open_pending_login(
        request.cookies.get(_cookie_name(request)),
        keys=data_keys_of(request),
        now=clock_of(request).now(),
    )


def forget_pending_login(request: Req, response: Response[Any]) -> None:
    """Delete the cookie with the answer: a pending login is used once."""
    if _cookie_name(request) in request.cookies:
        response.set_cookie(
            _cookie_name(request),
            "",
            max_age=0,
            path="/",
            secure=settings_of(request).cookies_secure,
            httponly=True,
            samesite="lax",
        )


def redirect_to_provider(
    request: Req, url: str, pending: oidc_service.PendingProviderLogin
) -> Redirect:
    """Send the browser to the provider, the pending login sealed in its cookie."""
    response = Redirect(path=url, status_code=303)
    _keep_pending_login(request, response, pending)
    return response
