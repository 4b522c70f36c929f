"""ClamAV's daemon for tests: the clamd that `.ci/ensure-services.sh` starts on a unix socket,
with a database of test signatures only (EICAR's test file), so it starts in a second.

The fixtures that use this module are in ``tests/conftest.py`` (``clamd``). On CI a clamd
that does not answer fails the test; elsewhere it is skipped with the command that starts it.
"""

import os
import socket
import threading
from pathlib import Path

import clamdpy
import pytest
from clamdpy.exceptions import ClamdException

SOCKET = os.environ.get("CLAMD_TEST_SOCKET", "/tmp/samverket-clamd/clamd.sock")  # noqa: S108
# The signature .ci/ensure-services.sh writes; clamd adds ".UNOFFICIAL" to a database of its own.
SIGNATURE = "Samverket.Test.EICAR.UNOFFICIAL"

# EICAR's standard anti-virus test file, made here from two halves so that this source file is
# not itself taken for it by a developer's virus scanner.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def require_clamd() -> str:
    """The test clamd's socket, once it has answered PING."""
    try:
        clamdpy.ClamdUnixSocket(path=SOCKET, timeout=5).ping()
    except (ClamdException, OSError) as error:
        message = f"clamd does not answer on {SOCKET} ({error}); run .ci/ensure-services.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SOCKET


class SilentServer:
    """A unix socket that accepts connections and never answers: a hung clamd."""

    def __init__(self, path: Path):
        self.path = str(path)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(8)
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)  # read nothing, answer nothing, keep it open

    def close(self) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()
