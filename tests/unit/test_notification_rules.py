"""Notification's pure rules: message rendering, preference patches and masks, unsubscribe links, push origins."""

from __future__ import annotations

import pytest

from portal.notification.v1 import notification_pb2
from portal_common.problems import Problem
from portal_notification import catalog, unsubscribe
from portal_notification.grpc_api import patch_from_mask
from portal_notification.preferences import PATHS, defaults, flatten, view
from portal_notification.webpush import origin_allowed, origin_of


def test_a_message_is_rendered_from_its_event_with_missing_fields_left_blank() -> None:
    subject, body = catalog.render(catalog.CATALOG["invoice.issued"], {"number": "F-12\n<b>", "amount": "12,00 €"})
    assert subject == "Nouvelle facture disponible"
    assert body.startswith("La facture F-12 <b> de 12,00 € est disponible")  # newlines folded; escaping: the channel's
    assert "{" not in body


def test_every_catalogued_event_renders_without_error() -> None:
    for kind in catalog.CATALOG.values():
        subject, body = catalog.render(kind, {})
        assert subject
        assert body


def test_a_nested_patch_becomes_dotted_paths() -> None:
    assert flatten({"email_enabled": False, "invoices": {"issued": False, "email": True}}) == {
        "email_enabled": False,
        "invoices.issued": False,
        "invoices.email": True,
    }


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"invoices": {"unknown": True}}, "invoices.unknown"),
        ({"sms_enabled": True}, "sms_enabled"),
        ({"push_enabled": "yes"}, "push_enabled"),
        ({"invoices": True}, "invoices"),
    ],
)
def test_a_patch_with_an_unknown_or_non_boolean_field_is_refused_naming_it(patch: dict, field: str) -> None:
    with pytest.raises(Problem) as refused:
        flatten(patch)
    assert refused.value.status == 422
    assert refused.value.extensions["fields"] == [field]


def test_stored_preferences_are_completed_with_the_defaults() -> None:
    shown = view({"invoices": {"issued": False}})
    assert shown["invoices"]["issued"] is False
    assert shown["invoices"]["unpaid_reminder"] is True
    assert view(None) == defaults()


def test_a_field_mask_picks_paths_and_whole_categories() -> None:
    message = notification_pb2.Preferences(push_enabled=False)
    message.invoices.issued = True
    assert patch_from_mask(message, ["push_enabled", "invoices.issued"]) == {
        "push_enabled": False,
        "invoices.issued": True,
    }
    whole = patch_from_mask(message, ["dossier"])
    assert set(whole) == {p for p in PATHS if p.startswith("dossier.")}
    assert not any(whole.values())
    with pytest.raises(Problem):
        patch_from_mask(message, ["invoices.nope"])


def test_an_unsubscribe_link_is_genuine_only_with_the_secret() -> None:
    token = unsubscribe.sign("secret", "acc-1", "invoices")
    assert unsubscribe.verify("secret", token) == ("acc-1", "invoices")
    assert unsubscribe.verify("other", token) is None
    assert unsubscribe.verify("secret", token[:-2] + "AA") is None
    assert unsubscribe.verify("secret", "not a token") is None


@pytest.mark.parametrize(
    ("endpoint", "origin"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", "https://fcm.googleapis.com"),
        ("https://push.example:443/x", "https://push.example"),
        ("https://push.example:8443/x", "https://push.example:8443"),
        ("http://push.example/x", None),
        ("https://user:pw@push.example/x", None),
        ("https://push.example/x#frag", None),
        ("https://push.example:99999/x", None),
        ("not a url", None),
        # Parsers disagree on these: the HTTP client (urllib3, WHATWG-style) would connect to 10.0.0.7 or
        # 127.0.0.1 while urlsplit sees a host under notify.windows.com. Only plain DNS names pass.
        ("https://10.0.0.7\\.notify.windows.com/", None),
        ("https://127.0.0.1\\@x.notify.windows.com/", None),
        ("https://x.notify.windows.com\\@127.0.0.1/", None),
        ("https://10.0.0.7%2f.notify.windows.com/", None),
        ("https://x.notify.windows.com\t/", None),
        ("https://[::1]/x", None),
        ("https://10.0.0.7/x", "https://10.0.0.7"),  # then refused: no push service is an address
    ],
)
def test_web_push_endpoints_are_reduced_to_plain_https_origins(endpoint: str, origin: str | None) -> None:
    assert origin_of(endpoint) == origin


def test_web_push_origins_match_exactly_or_by_one_wildcard_label() -> None:
    allowed = ("https://fcm.googleapis.com", "https://*.notify.windows.com")
    assert origin_allowed("https://fcm.googleapis.com", allowed)
    assert origin_allowed("https://wns2-par02p.notify.windows.com", allowed)
    assert not origin_allowed("https://evil.example", allowed)
    assert not origin_allowed("https://notify.windows.com.evil.example", allowed)
    assert not origin_allowed("https://x.notify.windows.com:8443", allowed)
