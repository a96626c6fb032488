"""The e-mail backend of development and the demo (``EMAIL_URL=consolemail://``).

Django's console backend writes each message as raw MIME to stdout: subjects come out as
``=?utf-8?b?...?=`` and Chinese bodies base64- or 8bit-encoded, and inside a Celery worker
every write to stdout became a WARNING record of ``celery.redirected`` (the "WARNING block").
This backend logs each message as one INFO record, decoded, through the site's log handler,
so the PII filter masks it like any other line.
"""

import logging
from email import message_from_bytes, policy

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class ConsoleEmailBackend(BaseEmailBackend):
    """Log every message readably: recipients, decoded subject, text body, attachments."""

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            logger.info("%s", readable(message))
            sent += 1
        return sent


def readable(message) -> str:
    """``E-mail to a@example.cn: <subject>`` then the headers that matter and the body, indented."""
    # Parse what would go on the wire, so that the log shows what the recipient would read.
    parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)
    subject = str(parsed["Subject"] or "").strip()
    lines = [f"E-mail to {', '.join(message.recipients())}: {subject}"]
    for header in ("From", "Reply-To", "Message-ID"):
        if parsed[header]:
            lines.append(f"    {header}: {parsed[header]}")
    body = parsed.get_body(preferencelist=("plain", "html"))
    if body is not None:
        lines.append("")
        lines.extend(f"    {line}" for line in body.get_content().rstrip().splitlines())
    for attachment in parsed.iter_attachments():
        size = len(attachment.get_payload(decode=True) or b"")
        name = attachment.get_filename() or "unnamed"
        lines.append(f"    [attachment {name}, {attachment.get_content_type()}, {size} bytes]")
    return "\n".join(lines)
