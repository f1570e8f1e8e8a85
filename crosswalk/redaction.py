"""Keep secrets out of everything we print or record.

A proxy or mirror URL can carry `user:password@` or a signed `?token=`; those URLs end up in
messages, the manifest, source_files and the workbooks' Summary. We record where a file came
from, never the credential that fetched it.
"""

from __future__ import annotations

import json
import logging
import os
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


WITHHELD_ENV = "CROSSWALK_WITHHELD_URLS"


def withhold(text: str) -> str:
    """`text` redacted, for places that record what they are given (Prefect stores a flow's
    parameters in its database). The original stays in this process's environment, which the
    processes it starts inherit and nothing writes down, so `reveal` can restore it."""
    shown = redact(text)
    if shown != text:
        withheld = _withheld()
        withheld[shown] = text
        os.environ[WITHHELD_ENV] = json.dumps(withheld)
    return shown


def reveal(text: str) -> str:
    """What `withhold` redacted into `text` (or the CROSSWALK_CMS_URL whose redacted form
    it is); text without a redaction is returned as it is. A redacted text nothing in the
    environment restores is an error: its credential was never given to this process."""
    if "***" not in text:
        return text
    cms_url = os.environ.get("CROSSWALK_CMS_URL", "")
    known = {**({redact(cms_url): cms_url} if cms_url else {}), **_withheld()}
    if text in known:
        return known[text]
    from crosswalk.errors import BadInput  # errors import this module

    raise BadInput(f"{text} carries a credential this process was not given: set the URL in "
                   "CROSSWALK_CMS_URL in the environment of whatever runs the flow",
                   field="cms_url")


def _withheld() -> dict[str, str]:
    try:
        return dict(json.loads(os.environ.get(WITHHELD_ENV, "{}")))
    except ValueError:
        return {}


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
