"""The ports and names a service falls back on are the chart's: one table (deploy/local/topology.py reads it)."""

from pathlib import Path

import pytest

from deploy.local.topology import LAYOUTS, Layout, services
from portal_billing_statement.config import BillingConfig
from portal_common.config import Env
from portal_document_store.config import DocumentsConfig
from portal_identity.config import IdentityConfig
from portal_notification.config import NotificationConfig
from portal_web.config import WebConfig

CONFIGS = {
    "identity": IdentityConfig,
    "billing-statement": BillingConfig,
    "document-store": DocumentsConfig,
    "notification": NotificationConfig,
}
REQUIRED = {
    "MONGO_URI": "mongodb://db/",
    "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
    "JWKS_URL": "http://identity/.well-known/jwks.json",
    "TOKEN_ISSUER": "http://identity",
    "UNSUBSCRIBE_SECRET": "s" * 32,
    "SMTP_HOST": "smtp",
    "IDENTITY_KEYS_DIR": "/keys",
    "IDENTITY_GRPC_TARGET": "identity:50051",
    "KAFKA_SASL_PASSWORD_FILE": "/secrets/kafka/password",
    "GRPC_TLS": "false",
}


def test_every_chart_service_has_a_config():
    assert set(services()) == set(CONFIGS) | {"web"}


def test_the_web_service_listens_where_the_chart_says_and_calls_the_four_apis_it_is_admitted_to():
    environment = {"MONGO_URI": "mongodb://db/"} | {
        f"{callee.upper().replace('-', '_')}_URL": f"http://{callee}" for callee in services()["web"].http_calls
    }
    config = WebConfig.from_env(Env(environment))
    assert config.http_port == services()["web"].http_port
    assert services()["web"].grpc_port == 0
    assert set(services()["web"].http_calls) == set(CONFIGS)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_service_without_ports_set_listens_where_the_chart_says(name):
    common = CONFIGS[name].from_env(Env(REQUIRED)).common
    chart = services()[name]
    assert (common.service_name, common.http_port, common.grpc_port) == (name, chart.http_port, chart.grpc_port)
    assert common.mongo_db == chart.database


def layout_ports(layout: Layout) -> list[int]:
    return [
        layout.kafka_port,
        layout.kafka_controller_port,
        layout.ferretdb_port,
        layout.smtp_port,
        layout.gateway_port,
        *(layout.http_port(name) for name in services()),
        *(layout.grpc_port(name) for name in services() if services()[name].grpc_port),
    ]


def test_layouts_never_share_a_port():
    used = [port for layout in LAYOUTS.values() for port in layout_ports(layout)]
    assert len(used) == len(set(used))


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_no_layout_port_lies_where_the_kernel_picks_client_ports(name):
    # A port in the ephemeral range may already be some socket's local end when a service binds it: CI failed
    # so, billing's gRPC port then being 60052.
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    assert [port for port in layout_ports(LAYOUTS[name]) if low <= port <= high] == []


def test_a_caller_finds_its_callees_grpc_port_in_the_layout():
    layout = LAYOUTS["test"]
    assert services()["notification"].grpc_calls == ("identity", "billing-statement")
    environment = layout.environment("notification")
    assert environment["IDENTITY_GRPC_TARGET"] == f"127.0.0.1:{layout.grpc_port('identity')}"
    assert environment["BILLING_STATEMENT_GRPC_TARGET"] == f"127.0.0.1:{layout.grpc_port('billing-statement')}"
    assert "IDENTITY_GRPC_TARGET" not in layout.environment("billing-statement")  # no client, no target
