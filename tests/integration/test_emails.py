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
