"""IAM and bucket policies: the ones flow-log delivery needs, and the least-privilege user policies.

Delivery policies (built per plan, from the VPC User Guide):

- :func:`s3_bucket_policy` — what lets ``delivery.logs.amazonaws.com`` write into the bucket. AWS
  attaches it itself when the caller owns the bucket and may Get/PutBucketPolicy (replacing any
  existing policy!); otherwise the bucket owner must add it.
- :func:`delivery_role_trust_policy` / :func:`delivery_role_policy` — the IAM role that lets
  ``vpc-flow-logs.amazonaws.com`` publish to CloudWatch Logs.

User policies shipped in ``flowkit/policies/*.json`` (``load_policy(name, ...)`` fills them in):

- ``query-readonly``: run the notebooks' questions with Athena and Logs Insights, read-only (its
  only write is Athena's results, into ``athena_results_bucket``; pass ``s3_output=`` or use a
  workgroup with an output location, since it does not allow awswrangler to create its default
  results bucket).
- ``enable-flow-logs``: create flow logs (S3 or CloudWatch Logs), the delivery role, and the Glue
  database and table for Athena.

Examples:
    >>> policy = load_policy("query-readonly", bucket="my-logs", account_id="111122223333")
    >>> policy["Version"]
    '2012-10-17'
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from flowkit.errors import FlowkitError
from flowkit.layout import policy_folder

POLICY_NAMES = ("query-readonly", "enable-flow-logs")


#: The AWS partitions and the Region prefixes that belong to them (the ARN's second field).
PARTITIONS = {
    "aws-cn": ("cn-",),
    "aws-us-gov": ("us-gov-",),
    "aws-iso": ("us-iso-",),
    "aws-iso-b": ("us-isob-",),
}


def partition_for_region(region: str | None) -> str:
    """The partition of a Region, as ARNs spell it: ``aws``, ``aws-cn``, ``aws-us-gov`` ...

    Asks botocore's endpoint data when it knows the Region, else the Region's prefix decides.

    Examples:
        >>> [partition_for_region(r) for r in ("eu-west-1", "cn-north-1", "us-gov-west-1", None)]
        ['aws', 'aws-cn', 'aws-us-gov', 'aws']
    """
    if not region or region.startswith("<"):
        return "aws"
    try:
        import botocore.session

        return str(botocore.session.get_session().get_partition_for_region(region))
    except Exception:  # botocore missing, or a Region its data does not know yet
        return next((p for p, prefixes in PARTITIONS.items() if region.startswith(prefixes)), "aws")


def s3_bucket_policy(
    bucket: str,
    prefix: str,
    account_id: str,
    region: str,
    *,
    hive: bool = False,
    partition: str | None = None,
) -> dict:
    """The bucket policy that lets the log delivery service write flow logs under ``prefix``.

    ``partition`` (default: the Region's, :func:`partition_for_region`) goes into every ARN.
    """
    part = partition or partition_for_region(region)
    folder = policy_folder(account_id, hive=hive, prefix=prefix)
    condition = {
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:{part}:logs:{region}:{account_id}:*"},
    }
    write_condition = {
        "StringEquals": {"aws:SourceAccount": account_id, "s3:x-amz-acl": "bucket-owner-full-control"},
        "ArnLike": condition["ArnLike"],
    }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSLogDeliveryWrite",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:{part}:s3:::{bucket}/{folder}",
                "Condition": write_condition,
            },
            {
                "Sid": "AWSLogDeliveryAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": f"arn:{part}:s3:::{bucket}",
                "Condition": condition,
            },
        ],
    }


def delivery_role_trust_policy(account_id: str, region: str, *, partition: str | None = None) -> dict:
    """Trust policy of the CloudWatch Logs delivery role (confused-deputy conditions included)."""
    part = partition or partition_for_region(region)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:{part}:ec2:{region}:{account_id}:vpc-flow-log/*"},
                },
            }
        ],
    }


def delivery_role_policy(
    account_id: str, region: str, log_group: str, *, partition: str | None = None
) -> dict:
    """Permissions of the CloudWatch Logs delivery role, limited to the one log group."""
    part = partition or partition_for_region(region)
    group_arn = f"arn:{part}:logs:{region}:{account_id}:log-group:{log_group}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                "Resource": [group_arn, f"{group_arn}:*"],
            },
            {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
        ],
    }


def load_policy(
    name: str,
    *,
    bucket: str = "BUCKET",
    account_id: str = "111122223333",
    region: str = "us-east-1",
    athena_results_bucket: str | None = None,
    database: str = "flowkit",
    log_group: str = "*",
    role_name: str = "flowkit-flow-logs-delivery",
    workgroup: str = "primary",
    partition: str | None = None,
) -> dict[str, Any]:
    """One of the shipped least-privilege user policies, with its placeholders filled in.

    Every ARN is written in the Region's partition (``arn:aws:``, ``arn:aws-cn:`` in China,
    ``arn:aws-us-gov:`` in GovCloud). The actions are exactly those of the calls in
    :data:`flowkit.aws.calls.AWS_CALLS` that name the policy (``tests/aws/test_aws_iam.py`` holds
    them to it).

    Args:
        name: ``"query-readonly"`` or ``"enable-flow-logs"``.
        bucket: the flow-log bucket.
        account_id: your account ID.
        region: the Region.
        athena_results_bucket: where Athena writes results (defaults to awswrangler's
            ``aws-athena-query-results-<account>-<region>``).
        database: the Glue database holding the flow-log table.
        log_group: the CloudWatch Logs group (``*`` for any).
        role_name: the delivery role's name (CloudWatch Logs destination).
        workgroup: the Athena workgroup.
        partition: the ARN partition (default: the Region's, :func:`partition_for_region`).

    Raises:
        FlowkitError: on an unknown policy name.
    """
    if name not in POLICY_NAMES:
        raise FlowkitError(f"unknown policy {name!r}: choose one of {', '.join(POLICY_NAMES)}.")
    text = resources.files("flowkit").joinpath("policies", f"{name}.json").read_text(encoding="utf-8")
    results = athena_results_bucket or f"aws-athena-query-results-{account_id}-{region}"
    values = {
        "PARTITION": partition or partition_for_region(region),
        "BUCKET": bucket,
        "ACCOUNT_ID": account_id,
        "REGION": region,
        "ATHENA_RESULTS_BUCKET": results,
        "DATABASE": database,
        "LOG_GROUP": log_group,
        "ROLE_NAME": role_name,
        "WORKGROUP": workgroup,
    }
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return json.loads(text)


def policy_json(policy: dict) -> str:
    """A policy as indented JSON text."""
    return json.dumps(policy, indent=2)
