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
from portal_web.app import BLUEPRINTS as WEB_PAGES

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "portal"
HELM = Path(os.environ.get("PORTAL_CACHE", Path.home() / ".cache" / "portal")) / "bin" / "helm-v3.22.0"
BLUEPRINTS = {
    "identity": [auth_api, account_api, identity_admin_api, well_known],
    "billing-statement": [billing_api],
    "document-store": [family_api, admin_api],
    "notification": [notification_api],
}
# The web pages: no Kafka user, no gRPC certificate, but routes the Ingress must send to them.
WEB_BLUEPRINTS = list(WEB_PAGES)


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
        ("kafka.replicationFactor=0", "replicationFactor"),
        ("prometheusRule.thresholds.errorRatio=2", "errorRatio"),
        ("global.nodeSelector=zone-a", "nodeSelector"),
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
    for service, blueprints in (BLUEPRINTS | {"web": WEB_BLUEPRINTS}).items():
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
    assert len(docs) == 5  # the four services and the web pages
    for deployment in docs:
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        # Liveness follows the process only: a dependency outage must never restart pods.
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        # Secrets only by reference: a Secret key, or the path of a mounted Secret file.
        values = [env["value"] for env in container.get("env", []) if "value" in env]
        assert all(value.startswith("/var/run/secrets/portal/") for value in values), values


def deployment(service: str, *args: str) -> dict:
    rendered = helm_template("--show-only", "templates/deployment.yaml", *args)
    assert rendered.returncode == 0, rendered.stderr
    [found] = [d for d in yaml.safe_load_all(rendered.stdout) if d and d["metadata"]["name"] == f"portal-{service}"]
    return found


def mounted_file(pod: dict, variable: str) -> tuple[str, dict]:
    """The file a variable points at, and the Secret volume it lives on (mounted read-only)."""
    container = pod["containers"][0]
    [path] = [e["value"] for e in container["env"] if e["name"] == variable]
    [mount] = [m for m in container["volumeMounts"] if (path + "/").startswith(m["mountPath"] + "/")]
    assert mount["readOnly"] is True
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    return path, volume


@pytest.mark.parametrize(
    ("entry", "variable"), [("webpush", "WEBPUSH_VAPID_KEY_FILE"), ("fcm", "FCM_SERVICE_ACCOUNT_FILE")]
)
def test_push_services_are_on_only_with_their_key_secret(entry, variable):
    pod = deployment("notification")["spec"]["template"]["spec"]
    assert variable not in {e["name"] for e in pod["containers"][0]["env"]}
    setting = f"services.notification.secretFiles.{entry}.secret=portal-push-key"
    pod = deployment("notification", "--set", setting)["spec"]["template"]["spec"]
    _, volume = mounted_file(pod, variable)
    assert volume["secret"] == {"secretName": "portal-push-key", "defaultMode": 0o400}


def test_secret_files_are_data_any_service_can_use():
    # What was wired for identity and notification by name is a list any service declares.
    pod = deployment(
        "billing-statement",
        "--set", "services.billing-statement.secretFiles.ledger-ca.secret=portal-ledger-ca",
        "--set", "services.billing-statement.secretFiles.ledger-ca.env.LEDGER_CA_FILE=ca.pem",
    )["spec"]["template"]["spec"]  # fmt: skip
    path, volume = mounted_file(pod, "LEDGER_CA_FILE")
    assert path == "/var/run/secrets/portal/ledger-ca/ca.pem"
    assert volume["secret"]["secretName"] == "portal-ledger-ca"
    identity = deployment("identity")["spec"]["template"]["spec"]
    path, volume = mounted_file(identity, "IDENTITY_KEYS_DIR")
    assert (path, volume["secret"]["secretName"]) == (
        "/var/run/secrets/portal/signing-keys",
        "portal-identity-signing-keys",
    )


def test_the_jwks_url_follows_the_service_that_serves_it():
    configs = {d["metadata"]["name"]: d["data"] for d in rendered("--show-only", "templates/configmap.yaml")}
    assert "JWKS_URL" not in configs["portal-identity"]
    assert {c["JWKS_URL"] for name, c in configs.items() if name not in ("portal-identity", "portal-web")} == {
        "http://portal-identity:8081/.well-known/jwks.json"
    }
    policies = {d["metadata"]["name"]: d for d in rendered("--show-only", "templates/networkpolicy.yaml")}
    http_from = policies["portal-identity"]["spec"]["ingress"][0]["from"]
    assert {
        "podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "portal", "app.kubernetes.io/instance": "portal"}}
    } in http_from
    notification_http_from = policies["portal-notification"]["spec"]["ingress"][0]["from"]
    # the only pods admitted on notification's HTTP: the web pages (its `httpCalls`), no other portal pod
    assert [
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for peer in notification_http_from
        if "podSelector" in peer
    ] == ["web"]


def test_the_web_pages_reach_the_four_apis_and_nothing_else_of_the_release():
    """The web service calls the services' public HTTP APIs (`httpCalls`): its URLs point at their Services, its
    egress allows their HTTP ports only, and each of them admits it; it has no Kafka, gRPC or token settings."""
    docs = rendered()
    config = next(d["data"] for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "portal-web")
    assert {k: v for k, v in config.items() if k.endswith("_URL")} == {
        "IDENTITY_URL": "http://portal-identity:8081",
        "BILLING_STATEMENT_URL": "http://portal-billing-statement:8082",
        "DOCUMENT_STORE_URL": "http://portal-document-store:8083",
        "NOTIFICATION_URL": "http://portal-notification:8084",
    }
    assert not {"KAFKA_BOOTSTRAP_SERVERS", "GRPC_PORT", "JWKS_URL", "TOKEN_ISSUER"} & set(config)
    policies = {d["metadata"]["name"]: d for d in docs if d["kind"] == "NetworkPolicy"}
    release_egress = [
        (rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"], rule["ports"][0]["port"])
        for rule in policies["portal-web"]["spec"]["egress"]
        if rule.get("to") and "app.kubernetes.io/name" in rule["to"][0].get("podSelector", {}).get("matchLabels", {})
    ]
    assert sorted(release_egress) == [
        ("billing-statement", 8082),
        ("document-store", 8083),
        ("identity", 8081),
        ("notification", 8084),
    ]
    web = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "portal"}}}
    for callee in ("billing-statement", "document-store", "notification"):
        assert web in policies[f"portal-{callee}"]["spec"]["ingress"][0]["from"], callee
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    paths = {p["path"]: p["backend"]["service"]["name"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert paths["/"] == "portal-web"
    assert paths["/v1/auth"] == "portal-identity"


def grpc_callers(policy: dict) -> list[dict]:
    rules = [r for r in policy["spec"]["ingress"] if r["ports"] == [{"port": "grpc", "protocol": "TCP"}]]
    return [peer for rule in rules for peer in rule["from"]]


def pods_of(name: str) -> dict:
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": "portal"}}}


def test_grpc_callers_are_the_services_with_a_client_and_find_their_callee_in_the_configmap():
    configs = {d["metadata"]["name"]: d["data"] for d in rendered("--show-only", "templates/configmap.yaml")}
    assert configs["portal-notification"]["IDENTITY_GRPC_TARGET"] == "portal-identity:50051"
    assert configs["portal-notification"]["BILLING_STATEMENT_GRPC_TARGET"] == "portal-billing-statement:50052"
    assert not [k for name, c in configs.items() if name != "portal-notification" for k in c if "GRPC_TARGET" in k]
    policies = {d["metadata"]["name"]: d for d in rendered("--show-only", "templates/networkpolicy.yaml")}
    assert grpc_callers(policies["portal-identity"]) == [pods_of("notification")]
    assert grpc_callers(policies["portal-billing-statement"]) == [pods_of("notification")]
    for name in ("portal-notification", "portal-document-store"):
        assert grpc_callers(policies[name]) == [], name  # no client in the release: nobody admitted
    # Another application's pods are added by name; a disabled caller is not admitted.
    policies = {
        d["metadata"]["name"]: d
        for d in rendered(
            "--show-only",
            "templates/networkpolicy.yaml",
            "--set",
            "services.billing-statement.grpcCallers={invoicing}",
            "--set",
            "services.notification.enabled=false",
        )
    }
    assert grpc_callers(policies["portal-identity"]) == []
    assert grpc_callers(policies["portal-billing-statement"]) == [pods_of("invoicing")]


def egress_ports(policy: dict) -> set[int | str]:
    return {port["port"] for rule in policy["spec"]["egress"] for port in rule.get("ports", [])}


def test_egress_is_denied_but_for_dns_kafka_mongodb_and_each_services_own_callees():
    policies = {d["metadata"]["name"]: d for d in rendered("--show-only", "templates/networkpolicy.yaml")}
    assert policies["portal-default-deny"]["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert egress_ports(policies["portal-identity"]) == {53, 9092, 9093, 27017}  # calls nobody
    assert egress_ports(policies["portal-billing-statement"]) == {53, 9092, 9093, 27017, 8081}  # + JWKS
    notification = egress_ports(policies["portal-notification"])
    # + IssueLink, GetStructure, SMTP, push
    assert notification == {53, 9092, 9093, 27017, 8081, 50051, 50052, 25, 465, 587, 443}
    jobs = policies["portal-jobs"]["spec"]
    names = next(e["values"] for e in jobs["podSelector"]["matchExpressions"] if e["key"] == "app.kubernetes.io/name")
    assert set(names) == {"topics", "migrations", "helm-test"}  # the Jobs' and the helm test's pods
    assert egress_ports({"spec": jobs}) >= {53, 9092, 9093, 27017, 8081}  # Kafka, MongoDB, identity's Service
    off = rendered("--show-only", "templates/networkpolicy.yaml", "--set", "networkPolicy.egress.enabled=false")
    assert all("Egress" not in d["spec"]["policyTypes"] for d in off)


@pytest.mark.parametrize(
    ("setting", "new_place"),
    [
        ("services.identity.signingKeysSecret=keys", "services.identity.secretFiles.signing-keys.secret"),
        ("services.notification.webPushKeySecret=vapid", "services.notification.secretFiles.webpush.secret"),
        ("services.notification.fcmServiceAccountSecret=fcm", "services.notification.secretFiles.fcm.secret"),
    ],
)
def test_values_of_chart_0_1_fail_with_their_new_place(setting, new_place):
    result = helm_template("--set", setting)
    assert result.returncode != 0
    assert new_place in result.stderr


def rendered(*args: str) -> list[dict]:
    result = helm_template(*args)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def test_the_ingress_has_tls_by_default():
    [ingress] = rendered("--show-only", "templates/ingress.yaml")
    assert ingress["spec"]["tls"] == [{"hosts": ["portail.example.org"], "secretName": "portal-tls"}]
    [named] = rendered("--show-only", "templates/ingress.yaml", "--set", "ingress.tls.secretName=mairie-tls")
    assert named["spec"]["tls"][0]["secretName"] == "mairie-tls"


def test_every_object_carries_the_recommended_labels():
    for doc in rendered("--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true"):
        labels = doc["metadata"].get("labels", {})
        for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of"):
            assert key in labels, f"{doc['kind']} {doc['metadata']['name']} lacks {key}"


def test_the_ingress_body_limit_follows_the_upload_limit():
    for upload, expected in (("10485760", "10304k"), ("52428800", "51264k")):
        docs = rendered("--set-string", f"services.document-store.env.MAX_UPLOAD_BYTES={upload}")
        ingress = next(d for d in docs if d["kind"] == "Ingress")
        assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == expected


def jobs(docs: list[dict]) -> dict[str, dict]:
    """The chart's Jobs by what they do (`topics`, `migrations`): their pod specs."""
    return {
        d["metadata"]["labels"]["app.kubernetes.io/name"]: d["spec"]["template"]["spec"]
        for d in docs
        if d["kind"] == "Job"
    }


def test_the_topics_exist_before_the_services_and_the_indexes_after_with_the_configured_durability():
    """The services wait for identity's topic to be ready (revocations), so the topics come in a pre-install
    hook; a post-install hook migrated them first, and a first install on an empty Kafka waited forever."""
    docs = rendered("--set", "kafka.replicationFactor=3", "--set", "kafka.minInsyncReplicas=2")
    hooks = {
        d["metadata"]["labels"]["app.kubernetes.io/name"]: d["metadata"]["annotations"]["helm.sh/hook"]
        for d in docs
        if d["kind"] == "Job"
    }
    assert hooks == {"topics": "pre-install,pre-upgrade", "migrations": "post-install,post-upgrade"}
    spec = jobs(docs)
    assert [c["args"] for c in spec["migrations"]["containers"]] == [["migrate"]] * 5
    topics = spec["topics"]["containers"][0]["command"]
    assert topics[topics.index("--dlq-topic") + 1] == "account-events.dlq"
    assert topics[topics.index("--replication-factor") + 1] == "3"
    assert topics[topics.index("--min-insync-replicas") + 1] == "2"
    assert topics[topics.index("--retention-ms") + 1] == str(168 * 3600 * 1000)


def _kafka_secrets(pod: dict, container: dict) -> dict[str, str]:
    """Where the container's Kafka password and CA files come from: file variable -> Secret name."""
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v.get("secret", {}).get("secretName") for v in pod.get("volumes", [])}
    found = {}
    for env in container.get("env", []):
        if env["name"] in ("KAFKA_SASL_PASSWORD_FILE", "KAFKA_CA_FILE"):
            found[env["name"]] = volumes[mounts[str(Path(env["value"]).parent)]]
    return found


def test_each_service_signs_in_to_kafka_as_itself_with_secrets_by_reference():
    """#20 finding 2: SASL_SSL by default; each service's password is its own user's Secret, mounted as a file."""
    docs = rendered("--set", "kafka.userSecretPrefix=kafka-")
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        name = deployment["metadata"]["labels"]["app.kubernetes.io/name"]
        pod = deployment["spec"]["template"]["spec"]
        if name == "web":  # no events: no Kafka user, password or CA at all
            assert _kafka_secrets(pod, pod["containers"][0]) == {}
            continue
        assert _kafka_secrets(pod, pod["containers"][0]) == {
            "KAFKA_SASL_PASSWORD_FILE": f"kafka-{name}",
            "KAFKA_CA_FILE": "portal-kafka-cluster-ca-cert",
        }
    configs = {
        d["metadata"]["name"]: d["data"]
        for d in docs
        if d["kind"] == "ConfigMap" and "KAFKA_SASL_USERNAME" in d.get("data", {})
    }
    assert {data["KAFKA_SASL_USERNAME"] for data in configs.values()} == set(BLUEPRINTS)
    assert {data["KAFKA_SECURITY_PROTOCOL"] for data in configs.values()} == {"SASL_SSL"}
    spec = jobs(docs)
    topics = spec["topics"]["containers"][0]
    assert {"name": "KAFKA_SASL_USERNAME", "value": "portal-topics"} in topics["env"]
    assert _kafka_secrets(spec["topics"], topics)["KAFKA_SASL_PASSWORD_FILE"] == "kafka-portal-topics"
    for migration in spec["migrations"]["containers"]:  # the index migrations read the service's settings
        if migration["name"] != "web":
            assert (
                _kafka_secrets(spec["migrations"], migration)["KAFKA_SASL_PASSWORD_FILE"]
                == f"kafka-{migration['name']}"
            )


def test_each_service_has_its_grpc_certificate_named_after_it_and_mounted_where_it_reads_it():
    """#20 finding 3: cert-manager Certificates (common name = the service, what callers' tables use), mounted
    from the Secret they make; the index migrations serve no gRPC and need none."""
    docs = rendered()
    certificates = {d["spec"]["commonName"]: d["spec"] for d in docs if d["kind"] == "Certificate"}
    assert set(certificates) == set(BLUEPRINTS)
    for name, spec in certificates.items():
        assert spec["secretName"] == f"portal-{name}-grpc-tls"
        assert name in spec["dnsNames"]
        assert {"server auth", "client auth"} <= set(spec["usages"])
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        name = deployment["metadata"]["labels"]["app.kubernetes.io/name"]
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        if name == "web":  # serves no gRPC and calls none: no port, no certificate
            assert [p["name"] for p in container["ports"]] == ["http"]
            assert "GRPC_TLS_CERT_FILE" not in env
            continue
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/var/run/secrets/portal/grpc-tls")
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        assert volume["secret"]["secretName"] == f"portal-{name}-grpc-tls"
        assert env["GRPC_TLS_CERT_FILE"] == "/var/run/secrets/portal/grpc-tls/tls.crt"
        assert env["GRPC_TLS_CA_FILE"] == "/var/run/secrets/portal/grpc-tls/ca.crt"
    for migration in jobs(docs)["migrations"]["containers"]:
        assert {"name": "GRPC_TLS", "value": "false"} in migration["env"]
    without = rendered("--set", "grpcTls.certManager.enabled=false")
    assert not [d for d in without if d["kind"] == "Certificate"]  # the Secrets are then the operator's


def test_plaintext_kafka_is_an_explicit_choice_and_mounts_nothing():
    docs = rendered("--set", "kafka.securityProtocol=PLAINTEXT")
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert _kafka_secrets(pod, pod["containers"][0]) == {}
    assert helm_template("--set", "kafka.securityProtocol=SASL_PLAINTEXT").returncode != 0


def test_monitoring_objects_carry_the_prometheus_release_label():
    docs = rendered("--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true")
    for kind in ("ServiceMonitor", "PrometheusRule"):
        doc = next(d for d in docs if d["kind"] == kind)
        assert doc["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    for alert in rule["spec"]["groups"][0]["rules"]:
        assert "docs/runbooks.md#" + alert["alert"].lower() in alert["annotations"]["runbook_url"]


def test_workload_knobs_reach_every_pod():
    docs = rendered(
        "--set",
        "global.nodeSelector.pool=portal",
        "--set",
        "global.tolerations[0].key=dedicated",
        "--set",
        "global.imagePullSecrets[0].name=regcred",
        "--set",
        "global.podAnnotations.team=famille",
        "--set",
        "global.extraEnv[0].name=HTTPS_PROXY",
        "--set",
        "global.extraEnv[0].value=http://proxy:3128",
        "--set",
        "services.notification.nodeSelector.pool=push",
        "--set",
        "global.anythingAParentChartSets=true",  # global is open: the chart can be a subchart
    )
    pods = {d["metadata"]["name"]: d["spec"]["template"] for d in docs if d["kind"] in ("Deployment", "Job")}
    assert len(pods) == 7
    for name, pod in pods.items():
        spec = pod["spec"]
        assert spec["imagePullSecrets"] == [{"name": "regcred"}]
        assert spec["tolerations"][0]["key"] == "dedicated"
        expected_pool = "push" if name.endswith("notification") else "portal"
        assert spec["nodeSelector"] == {"pool": expected_pool}
    for name, pod in pods.items():
        if name.endswith(("migrations-1", "topics-1")):
            continue
        assert pod["metadata"]["annotations"]["team"] == "famille"
        assert {"name": "HTTPS_PROXY", "value": "http://proxy:3128"} in pod["spec"]["containers"][0]["env"]


@pytest.mark.parametrize(
    "setting", ["mongoDatabasePrefix=bench_", "publicUrl=https://famille.example.org", "kafka.eventsTopic=other"]
)
def test_a_changed_release_wide_setting_rolls_the_pods_that_read_it(setting):
    """Pods read their ConfigMap once, at start: an upgrade that changes it must change their template too,
    or they keep the old setting until something else restarts them."""
    for service in ("identity", "notification", "web"):
        before = deployment(service)["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        after = deployment(service, "--set", setting)["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        if service == "web" and not setting.startswith("mongo"):
            continue  # the web pods read neither the public URL nor Kafka
        assert before != after, f"{service} keeps its pods after {setting}"


def test_an_unrelated_setting_leaves_the_pods_alone():
    before = deployment("identity")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    changed = deployment("identity", "--set-string", "services.notification.env.SMTP_PORT=2526")
    assert changed["spec"]["template"]["metadata"]["annotations"]["checksum/config"] == before
