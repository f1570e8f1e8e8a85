"""crosswalk/redaction.py: credentials never survive into a message, log line or record.

The userinfo of a URL is everything between `://` and the LAST `@` of its authority (RFC 3986),
so a password may hold `@`, `:`, spaces, `?` or `#` (a `/` has to be percent-encoded in any
URL). The properties below build such URLs from arbitrary text and check the exact redacted
form, in a whole URL and inside a sentence.
"""

from __future__ import annotations

import logging

from hypothesis import example, given
from hypothesis import strategies as st

from crosswalk.redaction import RedactingFilter, redact

USERS = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789._-"), min_size=1,
                max_size=12)
# anything a person may type into a password except `/` (which ends the authority) and a line
# break (messages are read line by line)
PASSWORDS = st.text(st.characters(blacklist_characters="/\n\r", blacklist_categories=("Cs",)),
                    min_size=1, max_size=24)
HOSTS = st.sampled_from(["www.cms.gov", "127.0.0.1:8080", "proxy.example.org:3128"])
PATHS = st.sampled_from(["", "/", "/files/zip/october-2025-alpha-numeric-hcpcs-file.zip",
                         "/medicare/payment/part-b-drugs/asp-pricing-files?page=2"])


@given(USERS, PASSWORDS, HOSTS, PATHS, st.sampled_from(["http", "https"]))
@example("user", "p@ss@LEAK", "cms.example", "/x.zip", "http")
@example("user", "pass word", "cms.example", "", "https")
@example("user", "a@b c:d?e#f", "cms.example", "/files", "https")
def test_a_password_is_redacted_whatever_it_holds(user, password, host, path, scheme):
    url = f"{scheme}://{user}:{password}@{host}{path}"
    assert redact(url) == f"{scheme}://***@{host}{path}"
    sentence = f"cannot fetch {url} after 2 retries (connection refused)"
    assert redact(sentence) == f"cannot fetch {scheme}://***@{host}{path} after 2 retries " \
                               "(connection refused)"


@given(HOSTS, PATHS)
def test_a_url_without_credentials_is_left_alone(host, path):
    url = f"https://{host}{path}"
    assert redact(url) == url
    assert redact(f"picked {url}, the only link") == f"picked {url}, the only link"


@given(USERS, PASSWORDS, HOSTS)
def test_redaction_is_stable(user, password, host):
    once = redact(f"http://{user}:{password}@{host}/x and http://{host}/y?token={user}")
    assert redact(once) == once


def test_two_urls_in_one_message_are_each_redacted():
    text = "http://a:p@ss@h1/x failed; tried https://b:q r@h2:8443/y?sig=abc&page=1 too"
    assert redact(text) == "http://***@h1/x failed; tried https://***@h2:8443/y?sig=***&page=1 too"


def test_log_records_are_redacted_with_their_tracebacks():
    """A logged exception's traceback is formatted after filters run: the filter formats it
    itself, redacted, so a handler that prints exc_text shows no credential."""
    record = None
    try:
        raise ConnectionError("HTTPConnectionPool: Max retries exceeded with url: "
                              "/x.zip?token=tok-123 (from http://u:p@ss w@host/x.zip)")
    except ConnectionError as error:
        record = logging.LogRecord("urllib3", logging.ERROR, __file__, 1,
                                   "GET %s failed", ("http://u:p@ss w@host/x.zip",),
                                   (type(error), error, error.__traceback__))
    RedactingFilter().filter(record)
    shown = logging.Formatter().format(record)
    assert "GET http://***@host/x.zip failed" in shown and "ConnectionError" in shown
    assert "tok-123" not in shown and "p@ss w" not in shown and "ss w@" not in shown
