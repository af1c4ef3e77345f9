"""The platform's mixed load through the test cluster's Ingress, beside the same load on loose processes.

Both up at once on the same machine, measured in turns (three blocks each, so a change in the machine's speed
weighs on both alike; each side idles while the other is measured): `make up`'s processes behind the nginx
gateway, and the Helm release behind Traefik on deploy/cluster (two pods per service), each on fresh databases.
Same kind of family (an invoice, a statement, a document), same mix, same threads (bench/platform_bench.py); each
client signs in as a family of its own.
Also the machine's peak memory in use during the run.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import judged, write_results
from bench.platform_bench import LOAD_THREADS, MIX, MixedLoad, demo_family_targets
from tests.cluster.conftest import NODE_IP, PUSH_PORT, SMTP_PORT, ClusterPlatform, helm
from tests.e2e.conftest import Platform
from tests.support.env import MAILDIR, ROOT
from tests.support.memory import PeakMemory
from tests.support.sinks import PushSink, SmtpSink
from tests.support.wait import wait_for

SECONDS = float(os.environ.get("BENCH_CLUSTER_SECONDS", "45"))  # for each side, in BLOCKS turns
BLOCKS = 3
ROUTES = tuple(MIX)
PASSWORD = "mesure sous kubernetes"


def seed_family(platform: ClusterPlatform, smtp: SmtpSink) -> dict[str, str]:
    """The cluster tests' family (an invoice, a statement) and one document its structure sent it."""
    run = uuid.uuid4().hex[:6]
    family = platform.family_with_statement(smtp, f"bench-{run}", run, PASSWORD)
    account_id = family["account_id"]
    document = wait_for(
        lambda: (
            (
                sent := platform.call(
                    "POST",
                    f"/v1/admin/families/{account_id}/documents",
                    family["agent"],
                    files={"file": ("attestation.pdf", b"%PDF-1.4\n% bench\n%%EOF\n")},
                    data={"title": "Attestation", "category": "Attestations"},
                )
            ).status_code
            == 201
            and sent.json()
        ),
        timeout=60,
        what="the document store to know the family",
    )
    return {
        "login": family["login"],
        "password": PASSWORD,
        "statement_id": family["statement"],
        "document_id": document["document_id"],
        "agent": family["agent"],
    }


def sign_in_families(platform: Platform, agent_token: str) -> list[dict[str, str]]:
    """One family per client for the mix's sign-ins, created by the agent and activated from its email. Real
    sign-ins come from many families; the mix's eight clients signing in as one family about ten times a second
    were refused now and then (429): identity counts a login's sign-ins in flight as guesses until each is
    verified, and refuses after the fifth (portal_identity.throttle)."""
    mail, run = SmtpSink(MAILDIR), uuid.uuid4().hex[:6]
    families = []
    for client in range(LOAD_THREADS):
        login = f"connexion.{run}.{client}@example.fr"
        platform.new_family(mail, agent_token, login, PASSWORD)
        families.append({"login": login, "password": PASSWORD})
    return families


@contextmanager
def fresh_release() -> Iterator[tuple[ClusterPlatform, dict[str, str]]]:
    """The release on fresh databases, its seeded family; the release's previous revision back afterwards."""
    # Where the release's notification pods send; the agent's activation mail is read there (TEST_MAILDIR).
    smtp = SmtpSink(MAILDIR, port=SMTP_PORT, host=NODE_IP)
    smtp.start()
    push = PushSink(host=NODE_IP, port=PUSH_PORT)
    # Fresh databases, as the loose run has: FerretDB's SQLite backend scans whole collections, so what the
    # cluster tests left there (event floods, 10 MiB uploads) would be measured instead of the platform.
    revision = json.loads(helm("history", "portal", "-o", "json").stdout)[-1]["revision"]
    helm(
        "upgrade",
        "portal",
        ROOT / "charts/portal",
        "-f",
        ROOT / "deploy/cluster/values-portal.yaml",
        "--reuse-values",
        "--set",
        f"mongoDatabasePrefix=bench_{uuid.uuid4().hex[:6]}_",
        "--wait",
        "--timeout",
        "10m",
    )
    try:
        platform = ClusterPlatform(push)
        yield platform, seed_family(platform, smtp)
    finally:
        helm("rollback", "portal", str(revision), "--wait", "--timeout", "10m")
        smtp.stop()
        push.close()


def main() -> None:
    for sub in ("tmp", "new", "cur"):
        (MAILDIR / sub).mkdir(parents=True, exist_ok=True)
    push = PushSink()
    loose_platform = Platform(Path(tempfile.mkdtemp(prefix="bench-loose-")), push)
    loose_platform.env["PORTAL_MAILDIR"] = str(MAILDIR)
    loose_load, cluster_load = MixedLoad(), MixedLoad()
    try:
        loose_platform.script("up")  # seeds the demo family too
        loose_targets = demo_family_targets(loose_platform)
        demo_agent = loose_platform.call("POST", "/v1/auth/login", json=loose_platform.demo_accounts()["agent"])
        loose_sign_ins = sign_in_families(loose_platform, demo_agent.json()["access_token"])
        with fresh_release() as (cluster_platform, cluster_targets), PeakMemory() as memory:
            cluster_sign_ins = sign_in_families(cluster_platform, cluster_targets["agent"])
            for _ in range(BLOCKS):
                loose_load.run(
                    dict.fromkeys(ROUTES, loose_platform.gateway), loose_targets, SECONDS / BLOCKS, loose_sign_ins
                )
                cluster_load.run(
                    dict.fromkeys(ROUTES, cluster_platform.gateway), cluster_targets, SECONDS / BLOCKS, cluster_sign_ins
                )
    finally:
        loose_platform.script("down")
        push.close()
    loose, cluster, node_peak_gib = loose_load.summary(), cluster_load.summary(), memory.peak_gib
    results = {
        "seconds_each": SECONDS,
        "mixed_load_loose_processes": loose,
        "mixed_load_cluster_ingress": cluster,
        "cluster_vs_loose_throughput_ratio": round(cluster["per_second"] / loose["per_second"], 3),
        "machine_peak_memory_gib_both_up": node_peak_gib,
    }
    results |= judged(cluster_errors=("==", 0, cluster["errors"]), loose_errors=("==", 0, loose["errors"]))
    write_results("cluster", results)
    print(
        f"cluster Ingress: {cluster['per_second']} req/s, {cluster['errors']} errors; loose processes: "
        f"{loose['per_second']} req/s, {loose['errors']} errors; ratio {results['cluster_vs_loose_throughput_ratio']}; "
        f"machine peak (both up) {node_peak_gib} GiB"
    )
    for name, load in (("cluster", cluster), ("loose", loose)):
        for route, figures in load["routes"].items():
            print(
                f"  {name} {route}: {figures['per_second']} req/s, "
                f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms"
            )


if __name__ == "__main__":
    main()
