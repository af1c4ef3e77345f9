"""The gateway's OpenAPI document is good enough for a consumer who generates its client (the mobile team): the
client openapi-python-client made from docs/api/openapi.json (services/api_client, kept equal to what the generator
makes by tests/unit/test_openapi_gateway.py) signs in, reads Mon compte, makes a statement and downloads its PDF,
changes a preference and reads the feed through the gateway, every answer parsed into its model, and reads a
refusal as the French problem it is.
"""

from __future__ import annotations

import importlib
from datetime import date

import portal_api_client.models as m
from portal_api_client import AuthenticatedClient, Client
from portal_api_client.api.account import my_account
from portal_api_client.api.auth import login, logout
from portal_api_client.api.notification_preferences import get_preferences, patch_preferences
from portal_api_client.api.notifications import list_notifications
from portal_api_client.api.statements import generate, list_statements, statement_pdf

from deploy import openapi_gateway


def test_a_generated_client_covers_every_routed_operation():
    document = openapi_gateway.merged()
    for operations in document["paths"].values():
        for found in operations.values():
            tag = found["tags"][0].replace("-", "_")
            module = importlib.import_module(f"portal_api_client.api.{tag}.{found['operationId']}")
            assert hasattr(module, "sync_detailed"), found["operationId"]


def test_a_family_uses_its_account_through_the_generated_client(platform):
    credentials = platform.demo_accounts()["family"]
    anonymous = Client(base_url=platform.gateway, raise_on_unexpected_status=True)

    refused = login.sync_detailed(
        client=anonymous, body=m.LoginBody(login=credentials["login"], password="pas le bon mot de passe")
    )
    assert refused.status_code == 401
    assert isinstance(refused.parsed, m.Problem)
    assert "mot de passe" in refused.parsed.detail  # the French words a client shows as they are

    tokens = login.sync(client=anonymous, body=m.LoginBody(**credentials))
    assert isinstance(tokens, m.Tokens)
    assert tokens.token_type == "Bearer"
    family = AuthenticatedClient(base_url=platform.gateway, token=tokens.access_token, raise_on_unexpected_status=True)

    account = my_account.sync(client=family)
    assert isinstance(account, m.MyAccount)
    assert account.login == credentials["login"]
    assert account.login_modifiable is False

    statement = generate.sync(
        client=family, body=m.GenerateBody(period_start=date(2026, 9, 1), period_end=date(2026, 10, 31))
    )
    assert isinstance(statement, m.Statement), statement
    assert statement.totals.invoiced_cents == 31_500 + 28_000
    pdf = statement_pdf.sync(client=family, statement_id=statement.statement_id)
    assert pdf.payload.read(5) == b"%PDF-"
    listed = list_statements.sync(client=family)
    assert statement.statement_id in [s.statement_id for s in listed.items]

    preferences = get_preferences.sync(client=family)
    wanted = not preferences.invoices.email
    changed = patch_preferences.sync(
        client=family, body=m.PatchPreferencesBody.from_dict({"invoices": {"email": wanted}})
    )
    assert changed.invoices.email is wanted
    patch_preferences.sync(client=family, body=m.PatchPreferencesBody.from_dict({"invoices": {"email": not wanted}}))

    feed = list_notifications.sync(client=family)
    assert isinstance(feed, m.NotificationPage)
    assert feed.unread_count >= 0

    out = logout.sync_detailed(client=family)
    assert out.status_code == 204
    ended = my_account.sync_detailed(client=family)
    assert ended.status_code == 401
    assert isinstance(ended.parsed, m.Problem)
