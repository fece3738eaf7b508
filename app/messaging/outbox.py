"""The development mail outbox: a real SMTP server that files every message it receives.

`make run` and the tests start it (aiosmtpd); the development-only outbox page reads the files.
"""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class OutboxHandler:
    """aiosmtpd handler writing each message as one .eml file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._counter = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._counter += 1
        stamp = f"{len(list(self.directory.glob('*.eml'))):08d}-{self._counter:06d}"
        path = self.directory / f"{stamp}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_outbox_server(directory: Path, port: int) -> Controller:
    """Start the SMTP outbox on 127.0.0.1:port in its own thread; call .stop() to end it."""
    controller = Controller(OutboxHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@dataclass(frozen=True)
class OutboxMessage:
    id: str
    sender: str
    to: str
    subject: str
    sent_at: datetime | None
    text: str
    html: str | None


def _parse(path: Path) -> OutboxMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)  # noqa: S101 (policy.default builds EmailMessage)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    date_header = parsed.get("Date")
    return OutboxMessage(
        id=path.stem,
        sender=str(parsed.get("From", "")),
        to=str(parsed.get("To", "")),
        subject=str(parsed.get("Subject", "")),
        sent_at=parsedate_to_datetime(str(date_header)) if date_header else None,
        text=text_part.get_content() if text_part is not None else "",
        html=html_part.get_content() if html_part is not None else None,
    )


def read_outbox(directory: Path, *, limit: int = 100) -> list[OutboxMessage]:
    """The newest messages first."""
    if not directory.exists():
        return []
    paths = sorted(directory.glob("*.eml"), reverse=True)[:limit]
    return [_parse(path) for path in paths]


def read_message(directory: Path, message_id: str) -> OutboxMessage | None:
    if not message_id.replace("-", "").isdigit():
        return None
    path = directory / f"{message_id}.eml"
    return _parse(path) if path.exists() else None
