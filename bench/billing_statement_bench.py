"""Billing statements: service overhead over a bare wkhtmltopdf call on the same HTML (target <= 20 %),
cached repeat vs first render (target >= 50x faster), throughput of concurrent generation on 2 cores,
and peak memory (service + its wkhtmltopdf processes) while 20 statements render at once."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta

import requests
from pymongo import MongoClient

from bench.common import ServiceProcess, judged, write_results
from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_common import events
from portal_common.grpc_tls import INVOICING
from portal_common.kafka_client import create_producer
from tests.support.env import KAFKA, LAYOUT, grpc_channel, service_environment
from tests.support.kafka import create_event_topics
from tests.support.tokens import JwksServer, SigningKey

RUNS = 12
CACHED_RUNS = 50  # a few milliseconds each: enough for a stable median


def tree_rss(pid: int) -> int:
    """RSS of a process and its children (the wkhtmltopdf renders), in bytes."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if int(entry) == pid or int(fields[1]) == pid:
                with open(f"/proc/{entry}/status") as status:
                    total += next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


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
        end_dates = iter(date(2025, 12, 31) - timedelta(days=i) for i in range(300))

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
    }
    results |= judged(
        service_overhead_ratio=("<=", 0.20, results["service_overhead_ratio"]),
        cached_speedup=(">=", 50, results["cached_speedup"]),
    )
    write_results("billing_statement", results)


if __name__ == "__main__":
    main()
