"""A real OpenID Connect provider for the tests: panva's ``oidc-provider`` (npm), on localhost.

``.ci/oidc/provider.mjs`` is a small config around it; the test writes the clients and the test
people (with their ``acr``, ``amr`` and claims) to a JSON file, and this module starts
``node`` on a free port, waits for it to listen, and stops it afterwards. The provider signs
id_tokens with an RSA key made at start, so a second provider started the same way signs
with another key. ``npm ci`` in ``.ci/oidc`` (``.ci/ensure-services.sh``) installs it.

``code_flow`` walks the authorisation-code flow without a browser (the browser tests click the
same pages): it follows the provider's redirects, picks the test person on its login page, and
returns the callback address with ``code`` and ``state`` that the provider sent back.
"""

import json
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

OIDC_DIR = Path(__file__).resolve().parent.parent / ".ci" / "oidc"
LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
LOA2 = "http://id.elegnamnden.se/loa/1.0/loa2"
PERSONAL_NUMBER_CLAIM = "personal_number"
CLIENTS = {"eid": ("samverket-eid", "eid-secret"), "staff": ("samverket-staff", "staff-secret")}
# The test people. Account ids are the subjects (``sub``).
USERS = {
    "anna": {
        "label": "Anna Andersson",
        "acr": LOA3,
        "amr": ["bankid"],
        "claims": {
            "name": "Anna Andersson",
            "email": "anna@example.se",
            "email_verified": True,
            PERSONAL_NUMBER_CLAIM: "198112289874",
        },
    },
    "bertil": {
        "label": "Bertil Berg (loa2)",
        "acr": LOA2,
        "amr": ["pwd"],
        "claims": {"name": "Bertil Berg", "email": "bertil@example.se"},
    },
    "cecilia": {
        "label": "Cecilia Ek (no email)",
        "acr": LOA3,
        "amr": ["bankid"],
        "claims": {"name": "Cecilia Ek"},
    },
    "pm": {
        "label": "Petra Manager (mfa)",
        "acr": "urn:agency:mfa",
        "amr": ["pwd", "mfa"],
        "claims": {
            "name": "Petra Manager",
            "email": "petra@agency.example",
            "email_verified": True,
            "groups": ["grants-pm", "all-staff"],
        },
    },
    "dm": {
        "label": "David Decider (password only)",
        "acr": "urn:agency:pwd",
        "amr": ["pwd"],
        "claims": {
            "name": "David Decider",
            "email": "david@agency.example",
            "groups": ["grants-dm"],
        },
    },
}
GROUP_MAP = {"grants-pm": "programme_managers", "grants-dm": "decision_makers"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen
    config_dir: Path
    redirect_uris: list[str] = field(default_factory=list)

    def settings_for(self, provider: str, *, issuer: str | None = None, jwks: str = "") -> dict:
        """``settings.OIDC_PROVIDERS[provider]`` for this provider (``jwks``: another's keys)."""
        client_id, secret = CLIENTS[provider]
        return {
            "ISSUER": issuer or self.issuer,
            "OIDC_RP_CLIENT_ID": client_id,
            "OIDC_RP_CLIENT_SECRET": secret,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.issuer}/auth",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.issuer}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.issuer}/me",
            "OIDC_OP_JWKS_ENDPOINT": jwks or f"{self.issuer}/jwks",
            "OIDC_RP_SCOPES": "openid profile email groups personal_number",
            "OIDC_RP_SIGN_ALGO": "RS256",
        }

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.config_dir, ignore_errors=True)


def start_provider(redirect_uris: list[str]) -> OidcProvider:
    node = shutil.which("node")
    if node is None or not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(
            "The test OpenID Connect provider is not installed: run `npm ci` in .ci/oidc "
            "(.ci/ensure-services.sh does)."
        )
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    config_dir = Path(tempfile.mkdtemp(prefix="samverket-oidc-"))
    config = {
        "port": port,
        "issuer": issuer,
        "clients": [
            {"client_id": client_id, "client_secret": secret, "redirect_uris": redirect_uris}
            for client_id, secret in CLIENTS.values()
        ],
        "users": USERS,
    }
    (config_dir / "config.json").write_text(json.dumps(config))
    process = subprocess.Popen(  # noqa: S603 (node and our own script)
        [node, str(OIDC_DIR / "provider.mjs"), str(config_dir / "config.json")],
        cwd=OIDC_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    provider = OidcProvider(issuer, process, config_dir, redirect_uris)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("ready "):
            return provider
        if not line and process.poll() is not None:
            break
    provider.stop()
    raise RuntimeError("the test OpenID Connect provider did not start")


def code_flow(authorization_url: str, account: str | None) -> str:
    """Log in at the provider as ``account`` (None: refuse) and return the callback URL."""
    session = requests.Session()
    url = authorization_url
    for _step in range(10):
        response = session.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and "/interaction/" in url:
            form = {"refuse": "1"} if account is None else {"account": account}
            response = session.post(url, data=form, allow_redirects=False, timeout=10)
        location = response.headers.get("Location")
        if not location:
            raise AssertionError(f"the provider stopped at {url}: {response.status_code}")
        url = urljoin(url, location)
        if urlsplit(url).netloc != urlsplit(authorization_url).netloc:
            return url
    raise AssertionError("the provider redirected too often")
