"""Engine tests: the sandbox, here with the Athena table of AWS's documented DDL."""

from __future__ import annotations

import pytest
from aws_fixtures import DOC_DDL


@pytest.fixture
def sb(sb):
    """The root sandbox plus the table ``flowkit.vpc_flow_logs`` from AWS's documented DDL."""
    from flowkit.aws import athena

    athena.create_table_from_ddl(DOC_DDL, database="flowkit", boto3_session=sb.session)
    return sb
