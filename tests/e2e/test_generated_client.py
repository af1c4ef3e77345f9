"""The gateway's OpenAPI document is good enough for a consumer who generates its client (the mobile team): the
client openapi-python-client made from docs/api/openapi.json (services/api_client, kept equal to what the generator
makes by tests/unit/test_openapi_gateway.py) signs in, reads Mon compte, makes a statement and downloads its PDF,
changes a preference and reads the feed through the gateway, every answer parsed into its model, and reads a
refusal as the French problem it is.
"""

from __future__ import annotations

import importlib
from datetime import date
from types import ModuleType
from typing import Any

import portal_api_client
import pytest

from deploy import openapi_gateway


@pytest.fixture(scope="module")
def client_package() -> ModuleType:
    return portal_api_client


def operation(package: ModuleType, tag: str, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.api.{tag}.{name}")


def models(package: ModuleType) -> Any:
    return importlib.import_module(f"{package.__name__}.models")


def test_a_generated_client_covers_every_routed_operation(client_package):
    document = openapi_gateway.merged()
    for operations in document["paths"].values():
        for found in operations.values():
            module = operation(client_package, found["tags"][0].replace("-", "_"), found["operationId"])
            assert hasattr(module, "sync_detailed"), found["operationId"]


def test_a_family_uses_its_account_through_the_generated_client(platform, client_package):
    m = models(client_package)
    credentials = platform.demo_accounts()["family"]
    anonymous = client_package.Client(base_url=platform.gateway, raise_on_unexpected_status=True)

    refused = operation(client_package, "auth", "login").sync_detailed(
        client=anonymous, body=m.LoginBody(login=credentials["login"], password="pas le bon mot de passe")
    )
    assert refused.status_code == 401
    assert isinstance(refused.parsed, m.Problem)
    assert "mot de passe" in refused.parsed.detail  # the French words a client shows as they are

    tokens = operation(client_package, "auth", "login").sync(client=anonymous, body=m.LoginBody(**credentials))
    assert isinstance(tokens, m.Tokens)
    assert tokens.token_type == "Bearer"
    family = client_package.AuthenticatedClient(
        base_url=platform.gateway, token=tokens.access_token, raise_on_unexpected_status=True
    )

    account = operation(client_package, "account", "my_account").sync(client=family)
    assert isinstance(account, m.MyAccount)
    assert account.login == credentials["login"]
    assert account.login_modifiable is False

    statement = operation(client_package, "statements", "generate").sync(
        client=family, body=m.GenerateBody(period_start=date(2026, 9, 1), period_end=date(2026, 10, 31))
    )
    assert isinstance(statement, m.Statement), statement
    assert statement.totals.invoiced_cents == 31_500 + 28_000
    pdf = operation(client_package, "statements", "statement_pdf").sync(
        client=family, statement_id=statement.statement_id
    )
    assert pdf.payload.read(5) == b"%PDF-"
    listed = operation(client_package, "statements", "list_statements").sync(client=family)
    assert statement.statement_id in [s.statement_id for s in listed.items]

    preferences = operation(client_package, "notification_preferences", "get_preferences").sync(client=family)
    wanted = not preferences.invoices.email
    changed = operation(client_package, "notification_preferences", "patch_preferences").sync(
        client=family, body=m.PatchPreferencesBody.from_dict({"invoices": {"email": wanted}})
    )
    assert changed.invoices.email is wanted
    operation(client_package, "notification_preferences", "patch_preferences").sync(
        client=family, body=m.PatchPreferencesBody.from_dict({"invoices": {"email": not wanted}})
    )

    feed = operation(client_package, "notifications", "list_notifications").sync(client=family)
    assert isinstance(feed, m.NotificationPage)
    assert feed.unread_count >= 0

    out = operation(client_package, "auth", "logout").sync_detailed(client=family)
    assert out.status_code == 204
    ended = operation(client_package, "account", "my_account").sync_detailed(client=family)
    assert ended.status_code == 401
    assert isinstance(ended.parsed, m.Problem)
