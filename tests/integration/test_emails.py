"""What reaches a mailbox: values from the database cannot write lines or headers of their own."""

from __future__ import annotations

from typing import Any

import httpx

from app.accounts.tables import Organisation, User
from tests.factories import log_in, make_creditor, post_form

INJECTED = "Eve\r\nBcc: attacker@example.net\r\n\r\nCliquez ici : http://evil.example"


async def test_line_breaks_in_stored_names_do_not_reach_the_invitation_email(
    client: httpx.AsyncClient, run_worker: Any, outbox: Any
) -> None:
    """Names stored before input was checked (or by another path) are cleaned at composition."""
    owner, org = await make_creditor(email="owner@example.com")
    await User.update({User.full_name: INJECTED}).where(User.id == owner.id)
    await Organisation.update({Organisation.name: "ACME\nReply-To: x@evil.example"}).where(
        Organisation.id == org.id
    )
    await log_in(client, "owner@example.com")
    sent = await post_form(
        client, "/app/members/invitations", {"email": "colleague@example.com", "role": "member"}
    )
    assert sent.status_code == 200

    await run_worker()
    [email] = outbox("colleague@example.com")
    lines = email.text.splitlines()
    assert not any(line.startswith(("Bcc:", "Reply-To:", "Cliquez ici")) for line in lines)
    assert "EveBcc: attacker@example.net" in email.text, "the name is kept, without its breaks"
    assert email.html is not None and "Bcc: attacker@example.net<" not in email.html
    assert email.to == "colleague@example.com"


async def test_emails_greet_the_account_holder_by_name_escaped_in_html(
    client: httpx.AsyncClient, run_worker: Any, outbox: Any
) -> None:
    await make_creditor(email="zoe@example.com", full_name="Zoé <b>Martin</b>")
    await post_form(client, "/password/forgot", {"email": "zoe@example.com"})
    signup = {
        "full_name": "Léo Petit",
        "email": "leo@example.com",
        "organisation_name": "Petit SARL",
        "siren": "443061841",
        "password": "une phrase de passe assez longue",
    }
    await post_form(client, "/signup", signup)

    await run_worker()

    [reset] = outbox("zoe@example.com")
    assert reset.text.splitlines()[0] == "Bonjour Zoé <b>Martin</b>,"
    assert reset.html is not None and "Bonjour Zoé &lt;b&gt;Martin&lt;/b&gt;," in reset.html
    [confirmation] = outbox("leo@example.com")  # no account yet: the name typed at signup
    assert confirmation.text.splitlines()[0] == "Bonjour Léo Petit,"
