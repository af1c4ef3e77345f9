"""The web pages' pure rules: where a sign-in may lead, how tokens rest in the database, how a service's problem
lands next to a field, how dates and counts read in French."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests
from cryptography.exceptions import InvalidTag

from portal_web.api import ApiError
from portal_web.browser import local_path
from portal_web.forms import FormErrors
from portal_web.sessions import Tokens, _open, _seal
from portal_web.template_filters import date_time, day, plural


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


def _problem(status: int, body: dict, headers: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update({"Content-Type": "application/problem+json", **(headers or {})})
    return response


def test_a_problem_goes_next_to_the_field_it_names_else_to_the_fallback_else_to_the_summary():
    wrong = ApiError.from_response(
        _problem(
            403,
            {
                "title": "Mot de passe incorrect",
                "detail": "Le mot de passe actuel est incorrect.",
                "fields": ["current_password"],
            },
        )
    )
    assert FormErrors.of(wrong, {"current_password", "new_password"}).fields == {
        "current_password": "Le mot de passe actuel est incorrect."
    }
    unnamed = ApiError.from_response(_problem(401, {"title": "Identifiant ou mot de passe incorrect"}))
    assert FormErrors.of(unnamed, {"login", "password"}, fallback="password").fields == {
        "password": "Identifiant ou mot de passe incorrect"
    }
    general = FormErrors.of(unnamed, {"login"})
    assert general.general == ["Identifiant ou mot de passe incorrect"]
    assert general.fields == {}


def test_a_throttled_answer_keeps_its_retry_after_and_odd_bodies_still_give_a_french_message():
    throttled = ApiError.from_response(_problem(429, {"title": "Trop de tentatives"}, {"Retry-After": "30"}))
    assert throttled.retry_after == 30
    odd = requests.Response()
    odd.status_code = 400
    odd._content = b"<html>not json</html>"
    assert ApiError.from_response(odd).message == "Le service a refusé la demande."


def test_dates_and_counts_read_as_a_parent_reads_them():
    assert date_time("2026-12-01T07:02:00+00:00") == "1er décembre 2026 à 8 h 02"
    assert date_time("2026-07-14T21:45:00+00:00") == "14 juillet 2026 à 23 h 45"  # summer time
    assert day("2026-03-15") == "15 mars 2026"
    assert plural(1, "autre connexion terminée.", "autres connexions terminées.") == "1 autre connexion terminée."
    assert plural(3, "autre connexion terminée.", "autres connexions terminées.") == "3 autres connexions terminées."
