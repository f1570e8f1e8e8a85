"""Keep secrets out of everything we print or record.

A proxy or mirror URL can carry `user:password@` or a signed `?token=`; those URLs end up in
messages, the manifest, source_files and the workbooks' Summary. We record where a file came
from, never the credential that fetched it.
"""

from __future__ import annotations

import logging
import re

# The userinfo of a URL runs from `://` to the LAST `@` before the path (RFC 3986: the
# authority ends at the first `/`), so a password may hold `@`, `:`, spaces, `?` or `#`.
# Greedy up to the last `@` of the line: an `@` later in the same authority-less text makes
# us hide too much, never too little.
_USERINFO = re.compile(r"(?<=://)[^/\n\r]*@")
_SECRET_PARAMS = re.compile(
    r"(?i)([?&](?:token|access_token|api_key|apikey|key|sig|signature|password|passwd|pwd|"
    r"secret|auth|x-amz-[a-z-]+)=)[^&#\s]+")


def redact(text: str) -> str:
    """`text` with URL credentials and secret query values replaced by `***`."""
    return _SECRET_PARAMS.sub(r"\1***", _USERINFO.sub("***@", text))


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message through `redact`: urllib3 logs each request URL at
    DEBUG, query string (tokens) included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:  # a handler would format it unredacted
            record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
        return True


_FORMATTER = logging.Formatter()


def redact_library_logs(*names: str) -> None:
    """Attach the filter to loggers that print URLs (filters do not inherit to children)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
