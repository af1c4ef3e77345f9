"""The web pages' pure rules: where a sign-in may lead, how tokens rest in the database, how a service's problem
lands next to a field, how dates and counts read in French."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from cryptography.exceptions import InvalidTag
from flask import Flask
from flask_babel import Babel
from portal_api_client.models import Problem

import portal_web
from deploy.local import gateway
from deploy.local.topology import services
from portal_common.french import file_size
from portal_web.api import ApiError
from portal_web.browser import local_path
from portal_web.cache import Expiring
from portal_web.forms import FormErrors
from portal_web.i18n import page_callables
from portal_web.sessions import Tokens, _open, _seal
from portal_web.template_filters import amount, date_time, day
from portal_web.views.preferences import as_patch, device_label, shown
from portal_web.views.statements import statement_request


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/mon-compte/connexions", "/mon-compte/connexions"),
        ("/?suite=abc", "/?suite=abc"),
        (None, "/"),
        ("", "/"),
        ("https://ailleurs.example/piege", "/"),
        ("//ailleurs.example/piege", "/"),
        ("/\\ailleurs.example", "/"),
        ("mon-compte", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_after_signing_in_only_a_path_of_this_site_is_followed(target, expected):
    assert local_path(target) == expected


def test_tokens_rest_sealed_with_the_cookie_and_open_only_with_it():
    tokens = Tokens("eyJhbGciOi.access.sig", "refresh-secret-value", datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    sealed = _seal("cookie-of-this-browser", tokens)
    assert b"refresh-secret-value" not in sealed
    assert b"access" not in sealed
    assert _open("cookie-of-this-browser", sealed) == tokens
    with pytest.raises(InvalidTag):  # someone holding the database but not the cookie
        _open("another-cookie", sealed)


def _problem(status: int, body: dict, headers: dict | None = None) -> ApiError:
    """A refusal as the generated client parses it (RFC 9457: type, title and status always there)."""
    problem = Problem.from_dict({"type": "https://portail-famille.example/problems/x", "status": status, **body})
    return ApiError.of(status, problem, headers or {})


def test_a_problem_goes_next_to_the_field_it_names_else_to_the_fallback_else_to_the_summary():
    wrong = _problem(
        403,
        {
            "title": "Mot de passe incorrect",
            "detail": "Le mot de passe actuel est incorrect.",
            "fields": ["current_password"],
        },
    )
    assert FormErrors.of(wrong, {"current_password", "new_password"}).fields == {
        "current_password": "Le mot de passe actuel est incorrect."
    }
    unnamed = _problem(401, {"title": "Identifiant ou mot de passe incorrect"})
    assert FormErrors.of(unnamed, {"login", "password"}, fallback="password").fields == {
        "password": "Identifiant ou mot de passe incorrect"
    }
    general = FormErrors.of(unnamed, {"login"})
    assert general.general == ["Identifiant ou mot de passe incorrect"]
    assert general.fields == {}


def test_a_throttled_answer_keeps_its_retry_after_and_odd_bodies_still_give_a_french_message():
    throttled = _problem(429, {"title": "Trop de tentatives"}, {"Retry-After": "30"})
    assert throttled.retry_after == 30
    odd = ApiError.of(400, None, {})  # an answer without a problem document
    assert odd.message == "Le service a refusé la demande."


def test_dates_and_counts_read_as_a_parent_reads_them():
    assert date_time("2026-12-01T07:02:00+00:00") == "1er décembre 2026 à 8 h 02"
    assert date_time("2026-07-14T21:45:00+00:00") == "14 juillet 2026 à 23 h 45"  # summer time
    assert day("2026-03-15") == "15 mars 2026"
    assert amount(123456) == "1\u202f234,56\u00a0€"


def test_in_english_dates_and_amounts_read_the_english_way():
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "en")
    with app.test_request_context():
        assert date_time("2026-12-01T07:02:00+00:00") == "1 December 2026 at 08:02"
        assert day("2026-03-15") == "15 March 2026"
        assert day("2026-07-14T21:45:00+00:00") == "14 July 2026"
        assert amount(123456) == "€1,234.56"


def web_app_in(language: str) -> Flask:
    """An app with the web's catalogues, its pages in `language`."""
    app = Flask("portal_web", root_path=portal_web.__path__[0])
    Babel(app, locale_selector=lambda: language)
    return app


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "<p>2 notifications non lues.</p><p>Bonjour &lt;b&gt;Léa&lt;/b&gt;</p>"),
        ("en", "<p>2 unread notifications.</p><p>Bonjour &lt;b&gt;Léa&lt;/b&gt;</p>"),
    ],
)
def test_a_page_translates_with_its_own_catalogue_and_escapes_what_it_fills_in(language, expected):
    app = web_app_in(language)
    template = app.jinja_env.from_string(
        '<p>{{ ngettext("%(num)d notification non lue.", "%(num)d notifications non lues.", 2) }}</p>'
        '<p>{{ _("Bonjour %(name)s", name=name) }}</p>'
    )
    with app.test_request_context():
        assert template.render(name="<b>Léa</b>", **page_callables()) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [(1, "1\u00a0octet"), (900, "900\u00a0octets"), (1536, "1,5\u00a0ko"), (10 * 1024 * 1024, "10\u00a0Mo")],
)
def test_file_sizes_read_as_a_parent_reads_them(size, expected):
    assert file_size(size) == expected


def test_a_statement_form_becomes_a_year_or_a_period_and_says_what_is_missing():
    errors = FormErrors()
    assert statement_request({"choice": "year", "year": "2025"}, errors) == {"year": 2025}
    assert statement_request({"choice": "year", "year": "deux mille"}, errors) == {}
    assert errors.fields == {"year": "Choisissez une année."}
    errors = FormErrors()
    asked = {"choice": "period", "period_start": "2025-09-01", "period_end": "2026-06-30"}
    assert statement_request(asked, errors) == {"period_start": date(2025, 9, 1), "period_end": date(2026, 6, 30)}
    assert statement_request({"choice": "period", "period_start": "2025-09-01"}, errors) == {}
    assert errors.fields == {"period_end": "Indiquez le dernier jour de la période."}
    errors = FormErrors()  # a forged or mistyped day is said next to its field, never sent
    assert (
        statement_request({"choice": "period", "period_start": "2025-02-30", "period_end": "2025-03-01"}, errors) == {}
    )
    assert errors.fields == {"period_start": "Cette date n'existe pas : indiquez le jour, le mois et l'année."}


def test_the_prepaid_refusal_is_recognised_by_its_problem_type():
    problem = {
        "type": "https://portail-famille.example/problems/no-period-billed-activity",
        "title": "Relevé indisponible",
    }
    assert _problem(422, problem).slug == "no-period-billed-activity"


def test_preferences_the_page_cannot_name_are_neither_shown_nor_changed():
    stored = {
        "push_enabled": True,
        "email_enabled": False,
        "invoices": {"enabled": True, "issued": False, "a_new_kind": True},
        "a_new_category": {"enabled": True},
    }
    paths = shown(stored)
    assert paths == {"push_enabled": True, "email_enabled": False, "invoices.enabled": True, "invoices.issued": False}
    assert as_patch({**paths, "invoices.issued": True}) == {
        "push_enabled": True,
        "email_enabled": False,
        "invoices": {"enabled": True, "issued": True},
    }


def test_the_gateway_answers_an_oversized_upload_with_the_upload_page(tmp_path):
    config = gateway.render(8080, tmp_path, {name: 9000 + i for i, name in enumerate(services())})
    pages = config.split("location / {")[1].split("}")[0]
    assert "error_page 413 /mes-documents/envoyer/trop-volumineux;" in pages
    assert "error_page 502 /_gateway/502;" in pages  # the gateway's other answers still hold there
    page = config.split("location = /mes-documents/envoyer/trop-volumineux {")[1].split("}")[0]
    assert "proxy_pass_request_body off;" in page  # else the page waits for a body that never comes


@pytest.mark.parametrize(
    ("cents", "expected"), [(31250, "312,50\u00a0€"), ("31250", "312,50\u00a0€"), ("abc", ""), (None, "")]
)
def test_an_amount_from_an_event_reads_in_euros_whatever_its_json_type(cents, expected):
    assert amount(cents) == expected


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Chrome sur Linux",
        ),
        ("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", "Firefox sur Android"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Mobile/15E148 Safari/604.1",
            "Safari sur iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
            "Safari/537.36 Edg/120.0",
            "Edge sur Windows",
        ),
        ("", "Navigateur"),
    ],
)
def test_a_subscribed_browser_is_named_as_its_family_knows_it(user_agent, label):
    assert device_label(user_agent) == label


def test_a_browser_subscribed_from_an_english_page_is_named_in_english():
    with web_app_in("en").test_request_context():
        assert device_label("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0") == (
            "Firefox on Android"
        )
        assert device_label("curl/8.0") == "Browser"


def test_a_kept_value_is_asked_for_again_only_once_it_is_old():
    asked: list[str] = []
    kept: Expiring[str] = Expiring(seconds=0.2)

    def ask() -> str:
        asked.append("x")
        return f"value {len(asked)}"

    assert kept.get("k", ask) == "value 1"
    assert kept.get("k", ask) == "value 1"
    time.sleep(0.25)
    assert kept.get("k", ask) == "value 2"
    assert len(asked) == 2
