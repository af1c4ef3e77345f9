"""The Helm chart: its schema refuses bad values, and the Ingress routes every HTTP route the services serve.

`make test` runs deploy/k8s/check-charts.sh first (lint, template, kubernetes-validate, checkov),
which also installs the helm binary these tests call.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from flask import Flask

from portal_billing_statement.api import api as billing_api
from portal_common.http import HexIdConverter
from portal_document_store.api import admin_api, family_api
from portal_identity.api import account_api, auth_api, well_known
from portal_identity.api import admin_api as identity_admin_api
from portal_notification.api import api as notification_api

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "portal"
HELM = Path(os.environ.get("PORTAL_CACHE", Path.home() / ".cache" / "portal")) / "bin" / "helm-v3.22.0"
BLUEPRINTS = {
    "identity": [auth_api, account_api, identity_admin_api, well_known],
    "billing-statement": [billing_api],
    "document-store": [family_api, admin_api],
    "notification": [notification_api],
}


def helm_template(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(HELM), "template", "portal", str(CHART), "--kube-version", "1.34.0", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("services.identity.httpPort=eighty", "httpPort"),
        ("services.identity.env.MONGO_URI=mongodb://user:pw@db", "MONGO_URI"),
        ("services.notification.env.SMTP_PASSWORD=hunter2", "SMTP_PASSWORD"),
        ("colour=red", "colour"),
        ("global.imagePullPolicy=Sometimes", "imagePullPolicy"),
        ("auth.issuer=not-a-url", "issuer"),
    ],
)
def test_the_schema_refuses_bad_values(setting, complaint):
    result = helm_template("--set", setting)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_the_defaults_render():
    result = helm_template()
    assert result.returncode == 0, result.stderr
    kinds = {doc["kind"] for doc in yaml.safe_load_all(result.stdout) if doc}
    assert {
        "Deployment",
        "Service",
        "ServiceAccount",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ConfigMap",
        "Ingress",
        "Job",
    } <= kinds


def service_routes() -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for service, blueprints in BLUEPRINTS.items():
        app = Flask(service)
        app.url_map.converters["hexid"] = HexIdConverter
        for blueprint in blueprints:
            app.register_blueprint(blueprint)
        routes[service] = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    return routes


def test_the_ingress_routes_every_http_route_to_its_service():
    rendered = helm_template("--show-only", "templates/ingress.yaml")
    assert rendered.returncode == 0, rendered.stderr
    ingress = yaml.safe_load(rendered.stdout)
    prefixes = [(p["path"], p["backend"]["service"]["name"]) for p in ingress["spec"]["rules"][0]["http"]["paths"]]

    def backend(route: str) -> str | None:
        # Longest matching prefix wins, on whole path segments, as Ingress Prefix matching does.
        matches = [(path, name) for path, name in prefixes if route == path or route.startswith(path.rstrip("/") + "/")]
        return max(matches, key=lambda m: len(m[0]))[1] if matches else None

    routes = service_routes()
    assert sum(len(r) for r in routes.values()) > 30
    for service, rules in routes.items():
        for rule in rules:
            concrete = re.sub(r"<[^>]+>", "x", rule)
            assert backend(concrete) == f"portal-{service}", f"{rule} of {service} is not routed to it"


def test_every_service_has_hardened_pods():
    docs = [d for d in yaml.safe_load_all(helm_template().stdout) if d and d["kind"] == "Deployment"]
    assert len(docs) == 4
    for deployment in docs:
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert "grpc" in container["livenessProbe"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert all("value" not in env for env in container.get("env", []))  # secrets only by reference


def notification_deployment(*args: str) -> dict:
    rendered = helm_template("--show-only", "templates/deployment.yaml", *args)
    assert rendered.returncode == 0, rendered.stderr
    [deployment] = [
        d for d in yaml.safe_load_all(rendered.stdout) if d and d["metadata"]["name"].endswith("notification")
    ]
    return deployment


@pytest.mark.parametrize(
    ("value", "variable"),
    [("webPushKeySecret", "WEBPUSH_VAPID_KEY_FILE"), ("fcmServiceAccountSecret", "FCM_SERVICE_ACCOUNT_FILE")],
)
def test_push_services_are_on_only_with_their_key_secret(value, variable):
    pod = notification_deployment()["spec"]["template"]["spec"]
    assert variable not in {e["name"] for e in pod["containers"][0]["env"]}
    pod = notification_deployment("--set", f"services.notification.{value}=portal-push-key")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    [key_file] = [e["value"] for e in container["env"] if e["name"] == variable]
    [mount] = [m for m in container["volumeMounts"] if key_file.startswith(m["mountPath"] + "/")]
    assert mount["readOnly"] is True
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"] == {"secretName": "portal-push-key", "defaultMode": 0o400}
