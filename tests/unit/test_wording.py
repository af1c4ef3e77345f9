"""No message a family reads carries a code: every kind rendered with every payload field filled (dates as ISO,
amounts in cents, each known status and outcome, and unknown ones) is scanned for what must not show."""

import re

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor

from portal_common import events
from portal_notification import catalog, wording

CODES = re.compile(
    r"\d{4}-\d{2}-\d{2}"  # an ISO date
    r"|\b[a-z]+_[a-z_]+\b"  # a snake_case code
    r"|\bcents\b|\b123456\b"  # an amount in cents
    r"|\b(unpaid|partially|paid|accepted|incomplete|rejected|something_new)\b"
)
STATUSES = [*wording.PAYMENT_STATUSES, "something_new"]
OUTCOMES = [*wording.REVIEW_OUTCOMES, "something_new"]


def sample_payload(event_type: str) -> dict:
    """Every field of the kind's payload, filled the way the publisher fills it."""
    payload = {}
    for field in events.payload_class(event_type).DESCRIPTOR.fields:
        if field.message_type is not None:  # google.protobuf.Timestamp
            payload[field.name] = "2026-03-15T10:00:00Z"
        elif field.type == FieldDescriptor.TYPE_BOOL:
            payload[field.name] = True
        elif field.name == "year":
            payload[field.name] = 2025
        elif field.type in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_INT32):
            payload[field.name] = 123456
        elif field.is_repeated:
            payload[field.name] = ["2026-03-15", "2026-03-16"]
        else:
            payload[field.name] = "2026-03-15" if "date" in field.name or "from" in field.name else "Texte"
    # As the consumer sees it: the payload through its protobuf type and back.
    message = json_format.ParseDict(payload, events.payload_class(event_type)(), ignore_unknown_fields=True)
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


@pytest.mark.parametrize("event_type", sorted(catalog.CATALOG))
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_no_rendered_message_carries_a_code(event_type, status, outcome):
    payload = sample_payload(event_type)
    payload |= {"status": status} if "status" in payload else {}
    payload |= {"outcome": outcome} if "outcome" in payload else {}
    subject, body = catalog.render(catalog.CATALOG[event_type], {**wording.present(payload), "link": "https://x"})
    for text in (subject, body):
        assert not CODES.search(text.replace("https://x", "")), (event_type, text)
        assert "{" not in text, text
        assert "  " not in text, text


def test_a_moment_is_the_date_in_france():
    assert wording.moment("2026-06-30T22:30:00Z") == "1er juillet 2026"  # summer time: UTC+2
    assert wording.moment("2026-12-31T22:59:00Z") == "31 décembre 2026"  # winter time: UTC+1
