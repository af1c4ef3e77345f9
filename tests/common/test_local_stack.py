"""The SMTP sink that `make up` and `make test` start accepts and keeps mail (a Maildir)."""

import mailbox
import smtplib
from email.message import EmailMessage

from tests.support.env import MAILDIR, SMTP_PORT


def test_the_stack_smtp_sink_stores_what_it_receives():
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.fr", "sink-check@example.fr", "Vérification"
    message.set_content("bonjour")
    with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=10) as smtp:
        smtp.send_message(message)
    stored = [m for m in mailbox.Maildir(str(MAILDIR), create=False) if m["To"] == "sink-check@example.fr"]
    assert len(stored) == 1
