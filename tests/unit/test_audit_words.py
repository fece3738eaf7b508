"""Every kind of audit event, and every shape of its target, is shown in words in both languages."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from app.accounts.service.audit import AuditAction
from app.web import make_environment


@pytest.fixture(scope="module")
def env() -> Environment:
    return make_environment()


def render(env: Environment, call: str, locale: str, **values: object) -> str:
    source = '{% from "macros/ui.html" import audit_action, audit_target with context %}' + call
    template = env.from_string(source)
    return " ".join(template.render(locale=locale, format_locale=locale, **values).split())


@pytest.mark.parametrize("action", list(AuditAction))
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_each_action_has_its_own_words(env: Environment, action: AuditAction, locale: str) -> None:
    words = render(env, "{{ audit_action(action) }}", locale, action=action.value)
    assert words and words != action.value


def test_no_two_actions_read_the_same(env: Environment) -> None:
    words = [render(env, "{{ audit_action(a) }}", "fr", a=action.value) for action in AuditAction]
    assert len(set(words)) == len(words)


@pytest.mark.parametrize(
    ("target", "french", "english"),
    [
        (
            "claim 12: SIREN 552120222",
            "contestation n° 12, SIREN 552 120 222",
            "claim no. 12, SIREN 552 120 222",
        ),
        (
            "siren_taken:552120222",
            "SIREN 552 120 222 déjà inscrit",
            "SIREN 552 120 222 already registered",
        ),
        ("552120222", "SIREN 552 120 222", "SIREN 552 120 222"),
        ("password+recovery_code", "mot de passe + code de secours", "password + recovery code"),
        (
            "ana@example.com (member → admin)",
            "ana@example.com (membre → administrateur)",
            "ana@example.com (member → admin)",
        ),
        ("", "—", "—"),
    ],
)
def test_each_shape_of_target_reads_in_words(
    env: Environment, target: str, french: str, english: str
) -> None:
    call = "{{ audit_target(target) }}"
    assert render(env, call, "fr", target=target).replace("\u00a0", " ") == french
    assert render(env, call, "en", target=target).replace("\u00a0", " ") == english
