"""Shared AWS test data: the Athena table flowkit's DDL makes for the sandbox's S3 delivery prefix."""

from __future__ import annotations

from flowkit.ddl import athena_ddl

# The default-format text table with partition projection over the sandbox bucket's plain S3 layout.
DOC_DDL = athena_ddl(
    location="s3://flowkit-sandbox-123456789012/flowlogs/",
    database="flowkit",
    account_id="123456789012",
    regions=["us-east-1"],
    start_day="2024/01/01",
)
