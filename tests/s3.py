"""A local S3 server for tests: moto's ThreadedMotoServer over real HTTP on 127.0.0.1.

The storage configuration is not written out here: it is taken from ``config/settings.py``
itself, run with ``AWS_STORAGE_BUCKET_NAME`` and friends in the environment, so the tests use
exactly what production would. The fixtures that use this module are in ``tests/conftest.py``
(``s3_server``, ``s3_storage``).

Why ``override_settings(STORAGES=...)`` is enough for ``Attachment.file``: a ``FileField``
without a ``storage`` argument holds ``django.core.files.storage.default_storage``, which is a
lazy object, not a backend. Changing ``STORAGES`` sends ``setting_changed``; Django's
``storages_changed`` receiver empties the ``storages`` cache and resets ``default_storage`` so
that it resolves the new backend on next use, and again when the override ends. Nothing has to
be patched on the field (``tests/config/test_storage_s3.py`` asserts this stays true).
"""

import logging
import os
import runpy
from dataclasses import dataclass
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "config" / "settings.py"
REGION = "eu-north-1"
ACCESS_KEY = "samverket-test-key"
SECRET_KEY = "samverket-test-secret"


@dataclass
class LocalS3:
    server: ThreadedMotoServer
    endpoint_url: str

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )


def start_local_s3() -> LocalS3:
    """Start moto's S3 on a free port of 127.0.0.1 and return how to reach it."""
    # moto logs every request through werkzeug at INFO.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return LocalS3(server=server, endpoint_url=f"http://{host}:{port}")


def production_storages(*, bucket: str, endpoint_url: str) -> dict:
    """``STORAGES`` as ``config/settings.py`` builds it when a bucket is named."""
    environment = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint_url,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        namespace = runpy.run_path(str(SETTINGS_FILE), run_name="samverket_settings_for_s3")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return namespace["STORAGES"]
