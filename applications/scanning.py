"""Asking ClamAV's daemon (clamd) about a file: clean, infected, or no answer.

A plain helper like ``validators``: it reads no table and writes nothing; the service
``applications.services.scanning`` records what it says. The file is streamed to clamd with its
INSTREAM command (through ``clamdpy``), so clamd needs no access to our storage: the same code
works for local files and S3.

Anything but a clear answer (no daemon, a timeout, an error reply, a file over clamd's
``StreamMaxLength``) is ``UNAVAILABLE``: the file stays pending and is tried again, never
passed.
"""

import enum
import logging
from dataclasses import dataclass

import clamdpy
from clamdpy.exceptions import ClamdException
from django.conf import settings

logger = logging.getLogger(__name__)

# clamd reads the stream in chunks of this size; 64 KiB keeps the number of writes low.
CHUNK_BYTES = 64 * 1024


class Verdict(enum.Enum):
    CLEAN = "clean"
    INFECTED = "infected"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ScanResult:
    verdict: Verdict
    # The signature clamd named (INFECTED), or why there was no answer (UNAVAILABLE).
    detail: str = ""


def _client():
    timeout = settings.CLAMD_TIMEOUT
    if settings.CLAMD_HOST:
        return clamdpy.ClamdNetworkSocket(
            host=settings.CLAMD_HOST,
            port=settings.CLAMD_PORT,
            timeout=timeout,
            max_chunk_size=CHUNK_BYTES,
        )
    return clamdpy.ClamdUnixSocket(
        path=settings.CLAMD_SOCKET, timeout=timeout, max_chunk_size=CHUNK_BYTES
    )


def scanner_address() -> str:
    """Where clamd is looked for, for messages and logs."""
    if settings.CLAMD_HOST:
        return f"{settings.CLAMD_HOST}:{settings.CLAMD_PORT}"
    return settings.CLAMD_SOCKET


def scan_stream(stream) -> ScanResult:
    """Send a binary file object to clamd and return its verdict; never raises for clamd."""
    try:
        answer = _client().instream(stream)
    except (ClamdException, OSError) as error:
        # OSError: clamdpy wraps connecting and reading, not a timeout while sending.
        detail = f"{type(error).__name__}: {getattr(error, 'msg', '') or error}"
        logger.warning("clamd at %s gave no answer: %s", scanner_address(), detail)
        return ScanResult(Verdict.UNAVAILABLE, detail[:200])
    if answer.status == "OK":
        return ScanResult(Verdict.CLEAN)
    if answer.status == "FOUND":
        return ScanResult(Verdict.INFECTED, (answer.reason or "unknown")[:200])
    logger.warning("clamd at %s answered an error: %s", scanner_address(), answer.reason)
    return ScanResult(Verdict.UNAVAILABLE, f"clamd error: {answer.reason}"[:200])
