"""Text made safe to print or log: control characters made visible, secrets masked.

Report text and file names come from whoever wrote the files in an inbox. Printed
raw, an escape sequence in them (`ESC[2J`, an OSC title change, a bidi override)
would act on the reviewer's terminal; `visible` shows each such character as an
escape (`\\x1b`, `\\u202e`) instead. Error bodies of model providers may echo an
API key; `redact` masks anything that looks like one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

#: C0 controls except tab and newline, DEL, C1 controls, and the bidi overrides and isolates
#: (they reorder what the terminal shows: "Trojan source").
_UNSAFE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

#: Things that look like credentials: `sk-…` style keys, bearer tokens, `key=…` assignments.
_SECRET_RES = (
    re.compile(r"\b(?:sk|pk|rk|ak)-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-~+/]{8,}=*"),
    re.compile(
        r"(?i)\b(api[_-]?key|access[_-]?token|secret|password)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}&]{4,}"
    ),
)
#: Long opaque strings (a key a provider echoes without a prefix).
_OPAQUE_RE = re.compile(r"\b(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{32,}\b")

#: Third-party loggers that may log request or response bodies; held at WARNING.
THIRD_PARTY_LOGGERS = ("instructor", "openai", "httpx", "httpcore", "urllib3")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, keep_newlines: bool = True) -> str:
    """`text` with every control character that could act on a terminal written as an escape.

    Tabs stay; newlines stay unless `keep_newlines` is False (a table cell, a one-line message).
    """
    text = _UNSAFE_RE.sub(_escape, text)
    return text if keep_newlines else text.replace("\n", "\\n")


def json_visible(dumped: str) -> str:
    """JSON text (from `json.dumps`, which escapes only C0 controls) with DEL, C1 controls and bidi
    overrides also written as `\\uXXXX` escapes: the same JSON value, harmless on a terminal."""
    return _UNSAFE_RE.sub(lambda match: f"\\u{ord(match.group()):04x}", dumped)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the given secrets and anything that looks like a key or token replaced by `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    for pattern in _SECRET_RES:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}***" if m.re.groups == 2 else "***", text)
    return _OPAQUE_RE.sub("***", text)


class SafeLogFormatter(logging.Formatter):
    """Formats a record as usual, then masks secrets and makes control characters visible."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        return visible(redact(super().format(record), self.secrets))


def quiet_third_party_loggers() -> None:
    """Hold the loggers of HTTP and LLM client libraries at WARNING (their DEBUG/INFO lines carry
    request and response bodies); what reaches the handler is still redacted by `SafeLogFormatter`."""
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
