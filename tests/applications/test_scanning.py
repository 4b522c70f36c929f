"""The clamd client (applications/scanning.py) against the real daemon, and against a daemon
that is not there or does not answer: clean, infected, or no answer, never an exception."""

import io
import socket
import time
import zipfile

import pytest

from applications.scanning import ScanResult, Verdict, scan_stream
from tests.clamav import EICAR, SIGNATURE, SilentServer

pytestmark = pytest.mark.clamav


def test_eicar_is_found(clamd):
    assert scan_stream(io.BytesIO(EICAR)) == ScanResult(Verdict.INFECTED, SIGNATURE)


def test_eicar_inside_an_office_file_is_found(clamd):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document>" + EICAR + b"</w:document>")

    assert scan_stream(io.BytesIO(buffer.getvalue())) == ScanResult(Verdict.INFECTED, SIGNATURE)


def test_an_ordinary_file_is_clean(clamd):
    assert scan_stream(io.BytesIO(b"%PDF-1.4\n%%EOF\n" * 10_000)) == ScanResult(Verdict.CLEAN)


def test_no_daemon_on_the_socket_is_no_answer(settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "missing.sock")
    settings.CLAMD_HOST = ""

    result = scan_stream(io.BytesIO(b"anything"))

    assert result.verdict is Verdict.UNAVAILABLE
    assert "missing.sock" in result.detail


def test_no_daemon_on_the_tcp_port_is_no_answer(settings):
    with socket.socket() as probe:  # a port that was free a moment ago, now closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CLAMD_HOST, settings.CLAMD_PORT = "127.0.0.1", port

    result = scan_stream(io.BytesIO(b"anything"))

    assert result.verdict is Verdict.UNAVAILABLE
    assert f"127.0.0.1:{port}" in result.detail


def test_a_daemon_that_never_answers_times_out_as_no_answer(settings, tmp_path):
    server = SilentServer(tmp_path / "hung.sock")
    settings.CLAMD_SOCKET, settings.CLAMD_HOST, settings.CLAMD_TIMEOUT = server.path, "", 0.5
    try:
        started = time.perf_counter()
        result = scan_stream(io.BytesIO(b"anything"))
        elapsed = time.perf_counter() - started
    finally:
        server.close()

    assert result.verdict is Verdict.UNAVAILABLE
    assert 0.4 < elapsed < 3
