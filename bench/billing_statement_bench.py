"""Billing statements: service overhead over a bare wkhtmltopdf call on the same HTML (target <= 20 %),
cached repeat vs first render (target >= 50x faster), throughput of concurrent generation on 2 cores,
peak memory (service + its wkhtmltopdf processes) while 20 statements render at once, and January's yearly
certificates (families per second; a family's statement latency during the run, target <= 1.5x without it)."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta

import requests
from pymongo import MongoClient

from bench.common import ServiceProcess, judged, with_children, write_results
from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_common import events
from portal_common.grpc_tls import INVOICING
from portal_common.kafka_client import create_producer
from tests.support.env import KAFKA, LAYOUT, grpc_channel, service_environment
from tests.support.kafka import create_event_topics
from tests.support.tokens import JwksServer, SigningKey

RUNS = 12
CACHED_RUNS = 50  # a few milliseconds each: enough for a stable median
YEARLY_FAMILIES = 120
LATENCY_RUNS = 8


def tree_rss(pid: int) -> int:
    """RSS of a process and its children (the wkhtmltopdf renders), in bytes."""
    total = 0
    for member in with_children(pid):
        try:
            with open(f"/proc/{member}/status") as status:
                total += next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):  # a render that just ended
            continue
    return total


def yearly_certificates(topic: str, environ: dict[str, str], db, generate, end_dates) -> dict[str, object]:
    """January's run (the ops command, as a CronJob or an operator starts it, beside the serving replica) over
    YEARLY_FAMILIES families, and a family's own statement latency while it runs against the same latency
    without it, one after the other in this run."""
    producer = create_producer(KAFKA, "bench")
    families = [f"fam-year-{n}" for n in range(YEARLY_FAMILIES)]
    for family in families:
        record = events.encode(
            events.new_event("account.created", account_id=family, structure_id="s", payload={"display_name": "F"})
        )
        producer.send(events.topic_of(topic, "identity"), key=record.key, value=record.value, headers=record.headers)
    producer.flush()
    producer.close()
    deadline = time.monotonic() + 60
    while db.accounts.count_documents({"_id": {"$in": families}}) < len(families):
        if time.monotonic() > deadline:
            raise RuntimeError("the families never reached billing")
        time.sleep(0.5)
    with grpc_channel(LAYOUT.grpc_target("billing-statement"), "billing-statement", caller=INVOICING) as channel:
        stub = billing_pb2_grpc.BillingServiceStub(channel)
        for family in families:
            line = billing_pb2.InvoiceLine(
                child=billing_pb2.Child(name="Enfant", birth_date="2022-01-01"),
                activity="Crèche",
                billing_mode=billing_pb2.BILLING_MODE_PERIOD,
                service_start="2025-05-05",
                service_end="2025-05-30",
                quantity=1,
                unit_price_cents=20000,
                amount_cents=20000,
                kind=billing_pb2.LINE_KIND_CHILDCARE,
            )
            stub.RecordInvoice(
                billing_pb2.RecordInvoiceRequest(
                    external_id=f"y-{family}",
                    structure_id="s",
                    account_id=family,
                    number=f"Y-{family}",
                    issue_date="2025-05-31",
                    due_date="2025-06-30",
                    currency="EUR",
                    lines=[line],
                ),
                timeout=10,
            )
    alone = [generate(next(end_dates).isoformat())[0] for _ in range(LATENCY_RUNS)]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")} | environ
    started = time.perf_counter()
    job = subprocess.Popen(
        [sys.executable, "-m", "portal_billing_statement", "yearly-certificates", "--year", "2025"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    during = []
    while job.poll() is None and len(during) < 4 * LATENCY_RUNS:
        during.append(generate(next(end_dates).isoformat())[0])
    out, _ = job.communicate(timeout=1800)
    elapsed = time.perf_counter() - started
    done = json.loads(out.strip().splitlines()[-1])["done"]
    return {
        "families": done,
        "seconds": round(elapsed, 1),
        "families_per_s": round(done / elapsed, 2),
        "statement_ms_median_alone": round(statistics.median(alone) * 1000, 1),
        "statement_ms_median_during_run": round(statistics.median(during) * 1000, 1) if during else None,
        "statements_measured_during_run": len(during),
    }


def main() -> None:
    mongo_uri = LAYOUT.mongo_uri
    topic = f"bench-billing-{uuid.uuid4().hex[:6]}"
    create_event_topics(topic, partitions=1)
    key = SigningKey("bench")
    jwks = JwksServer(key)
    environ = service_environment(
        "billing-statement",
        topic,
        layout_ports=True,
        JWKS_URL=jwks.url,
        RENDER_CONCURRENCY="2",
        HTTP_THREADS="24",
        # One family asks for hundreds of periods here: the per-family limit of a real deployment stays out of it.
        STATEMENT_RENDERS_PER_HOUR="1000000",
        STATEMENTS_KEPT_PER_FAMILY="1000000",
    )
    db_name = environ["MONGO_DB"]
    service = ServiceProcess("billing-statement", environ)
    results: dict[str, object] = {}
    try:
        family = "fam-bench"
        record = events.encode(
            events.new_event(
                "account.created",
                account_id=family,
                structure_id="s",
                payload={"display_name": "Famille Bench"},
            )
        )
        producer = create_producer(KAFKA, "bench")
        producer.send(
            events.topic_of(topic, "identity"), key=record.key, value=record.value, headers=record.headers
        ).get(10)
        producer.close()
        db = MongoClient(mongo_uri)[db_name]
        deadline = time.monotonic() + 30
        while db.accounts.find_one({"_id": family}) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("family never reached billing")
            time.sleep(0.2)
        with grpc_channel(LAYOUT.grpc_target("billing-statement"), "billing-statement", caller=INVOICING) as channel:
            stub = billing_pb2_grpc.BillingServiceStub(channel)
            for month in range(1, 13):
                issue = date(2025, month, 28).isoformat()
                lines = [
                    billing_pb2.InvoiceLine(
                        child=billing_pb2.Child(name=f"Enfant {c}", birth_date="2021-06-01"),
                        activity=f"Activité {a}",
                        billing_mode=billing_pb2.BILLING_MODE_PERIOD,
                        service_start=issue,
                        service_end=issue,
                        quantity=4,
                        unit_price_cents=1250,
                        amount_cents=5000,
                        kind=billing_pb2.LINE_KIND_CHILDCARE,
                    )
                    for c in range(2)
                    for a in range(3)
                ]
                stub.RecordInvoice(
                    billing_pb2.RecordInvoiceRequest(
                        external_id=f"inv-{month}",
                        structure_id="s",
                        account_id=family,
                        number=f"F-{month:02d}",
                        issue_date=issue,
                        due_date=issue,
                        currency="EUR",
                        lines=lines,
                    ),
                    timeout=10,
                )
                stub.RecordPayment(
                    billing_pb2.RecordPaymentRequest(
                        external_id=f"pay-{month}",
                        structure_id="s",
                        invoice_external_id=f"inv-{month}",
                        paid_on=issue,
                        amount_cents=30000,
                        method=billing_pb2.PAYMENT_METHOD_CARD,
                    ),
                    timeout=10,
                )
        token = {"Authorization": f"Bearer {key.mint(sub=family, role='family', structure_id='s')}"}
        session = requests.Session()
        end_dates = iter(date(2025, 12, 31) - timedelta(days=i) for i in range(360))

        def generate(end: str) -> tuple[float, str]:
            """From the period to the PDF bytes, as a family's browser asks for it: one request."""
            started = time.perf_counter()
            response = session.post(
                f"{service.url}/v1/statements",
                headers={**token, "Accept": "application/pdf"},
                json={"period_start": "2025-01-01", "period_end": end},
                timeout=120,
            )
            response.raise_for_status()
            if not response.content.startswith(b"%PDF"):
                raise RuntimeError("the service did not answer a PDF")
            return time.perf_counter() - started, response.headers["Location"]

        # A first render gives the HTML the bare wkhtmltopdf calls convert (same content, same options).
        _, location = generate(next(end_dates).isoformat())
        statement = session.get(f"{service.url}{location}", headers=token, timeout=30).json()
        html_of_first = session.get(f"{service.url}{location}/html", headers=token, timeout=30).text
        first_times, bare_times = [], []
        with tempfile.TemporaryDirectory() as tmp:
            source, target = os.path.join(tmp, "s.html"), os.path.join(tmp, "s.pdf")
            with open(source, "w") as handle:
                handle.write(html_of_first)
            bare = [
                "wkhtmltopdf",
                "--quiet",
                "--disable-local-file-access",
                "--disable-javascript",
                *("--encoding", "UTF-8", "--page-size", "A4"),
                *("--margin-top", "12mm", "--margin-bottom", "12mm", "--margin-left", "12mm", "--margin-right", "12mm"),
                source,
                target,
            ]
            # Turn about, so a change in the machine's speed during the run weighs on both alike.
            for _ in range(RUNS):
                first_times.append(generate(next(end_dates).isoformat())[0])
                started = time.perf_counter()
                subprocess.run(bare, check=True)
                bare_times.append(time.perf_counter() - started)
        # The service's own wkhtmltopdf time (pdfkit included), from its metrics: where the overhead is.
        metrics = session.get(f"{service.url}/metrics", timeout=10).text
        render_sum = float(re.search(r"^portal_statement_render_seconds_sum (\S+)", metrics, re.M).group(1))
        render_count = float(re.search(r"^portal_statement_render_seconds_count (\S+)", metrics, re.M).group(1))
        cached_times = [generate(statement["period_end"])[0] for _ in range(CACHED_RUNS)]

        concurrent_ends = [next(end_dates).isoformat() for _ in range(20)]
        peak = [tree_rss(service.process.pid)]
        baseline = peak[0]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                peak[0] = max(peak[0], tree_rss(service.process.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        threads = [threading.Thread(target=generate, args=(end,)) for end in concurrent_ends]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        concurrent_elapsed = time.perf_counter() - started
        sampling.set()
        sampler.join()
        yearly = yearly_certificates(topic, environ, db, generate, end_dates)
    finally:
        service.stop()
        jwks.close()

    service_median, bare_median, cached_median = (statistics.median(t) for t in (first_times, bare_times, cached_times))
    results = {
        "service_first_render_ms_median": round(service_median * 1000, 1),
        "bare_wkhtmltopdf_ms_median": round(bare_median * 1000, 1),
        "service_overhead_ratio": round(service_median / bare_median - 1, 3),
        "in_service_render_ms_mean": round(render_sum / render_count * 1000, 1),
        "cached_repeat_ms_median": round(cached_median * 1000, 1),
        "cached_speedup": round(service_median / cached_median, 1),
        "concurrent_20": {
            "seconds": round(concurrent_elapsed, 2),
            "statements_per_s": round(20 / concurrent_elapsed, 2),
        },
        "peak_rss_MiB_during_20_concurrent": {
            "baseline": round(baseline / 2**20, 1),
            "peak": round(peak[0] / 2**20, 1),
        },
        "render_concurrency": 2,
        "yearly_certificates": yearly,
    }
    results |= judged(
        service_overhead_ratio=("<=", 0.20, results["service_overhead_ratio"]),
        cached_speedup=(">=", 50, results["cached_speedup"]),
        # A family's statement while January's run goes on: at most half as slow again as without it.
        certificate_run_latency_ratio=(
            "<=",
            1.5,
            round(yearly["statement_ms_median_during_run"] / yearly["statement_ms_median_alone"], 3),
        ),
    )
    write_results("billing_statement", results)


if __name__ == "__main__":
    main()
