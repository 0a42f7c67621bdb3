"""Shared test set-up: fake AWS credentials so nothing can reach a real account, and the fixtures
several folders use. Each folder's conftest.py holds what only that folder's tests share; helper
modules used across folders (aws_fixtures, decide_fixtures, insights_data) sit beside this file."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import matplotlib
import pytest

matplotlib.use("Agg")

for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)
# the local engine remembers which text files passed its check: in a folder of the test run's own,
# not the user's ~/.cache (tests that need it set their own)
os.environ["FLOWKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="flowkit-test-cache-")
atexit.register(shutil.rmtree, os.environ["FLOWKIT_CACHE_DIR"], ignore_errors=True)


@pytest.fixture
def sb():
    """The moto sandbox (flowkit.aws.sandbox) with the Glue database ``flowkit``."""
    import flowkit.aws as fa

    with fa.sandbox() as box:
        fa.create_database("flowkit", boto3_session=box.session)
        yield box


@pytest.fixture
def stubbed(monkeypatch):
    """A CloudWatch Logs client under botocore's Stubber, the one flowkit's AWS functions get."""
    import boto3
    from botocore.stub import Stubber

    from flowkit import sessions

    client = boto3.Session(region_name="us-east-1").client("logs", config=sessions.botocore_config())
    stub = Stubber(client)
    monkeypatch.setattr(sessions, "client", lambda service, boto3_session=None: client)
    with stub:
        yield stub


@pytest.fixture(scope="module")
def baseline():
    """A simulated baseline period of the decide fixtures (decide_fixtures.make_flows, seed 1)."""
    from decide_fixtures import make_flows

    return make_flows(seed=1)


@pytest.fixture(scope="module")
def later():
    """A later period with injected anomalies (decide_fixtures.make_flows, seed 2)."""
    from decide_fixtures import make_flows

    return make_flows(seed=2, anomalies=True)
