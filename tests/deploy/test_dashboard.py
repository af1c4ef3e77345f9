"""The Grafana dashboard the chart ships queries only metrics the services export."""

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

# Importing the modules registers every metric the four services define.
import portal_billing_statement.render  # noqa: F401
import portal_common.metrics  # noqa: F401
import portal_identity.sessions  # noqa: F401
import portal_notification.delivery  # noqa: F401

DASHBOARD = Path(__file__).resolve().parents[2] / "charts" / "portal" / "dashboards" / "portal.json"
SUFFIXES = ("", "_total", "_bucket", "_count", "_sum", "_created")


def exported() -> set[str]:
    return {family.name + suffix for family in REGISTRY.collect() for suffix in SUFFIXES}


def test_every_panel_queries_an_exported_metric():
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    names = exported()
    for panel in panels:
        for target in panel["targets"]:
            queried = set(re.findall(r"\bportal_[a-z_]+", target["expr"]))
            assert queried, panel["title"]
            assert queried <= names, (panel["title"], queried - names)
