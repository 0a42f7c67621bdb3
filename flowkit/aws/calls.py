"""Every AWS call flowkit makes, and the IAM action each one needs: the map the shipped policies follow.

:data:`AWS_CALLS` lists, for each API operation flowkit sends (itself, through awswrangler, or that
a service makes with the caller's credentials, such as Athena reading the Glue table and S3), the
IAM action it is authorised by, the resources (ARN templates as the Service Authorization
Reference writes them, ``{partition}`` included) and which shipped policy grants it
(``flowkit/policies/*.json``). ``tests/aws/test_aws_iam.py`` holds the policies to this map: each
policy grants exactly the actions of its rows, every resource below is allowed, in every partition,
and every call the public functions send in the moto sandbox has a row.

Sources: the Service Authorization Reference pages for
`EC2 <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html>`_,
`CloudWatch Logs <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html>`_,
`Athena <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonathena.html>`_,
`Glue <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsglue.html>`_,
`S3 <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>`_,
`IAM <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html>`_
and the VPC and Athena user guides (delivery permissions, Athena's access to Glue and S3).

Examples:
    >>> [c.action for c in calls_for("logs", "GetQueryResults")]
    ['logs:GetQueryResults']
    >>> sorted(required_actions("query-readonly"))[:3]
    ['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:GetWorkGroup']
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AWS_CALLS", "EXAMPLE_VALUES", "ApiCall", "calls_for", "required_actions", "resources"]

QR = "query-readonly"
EF = "enable-flow-logs"

_EC2 = "arn:{partition}:ec2:{region}:{account}"
_LOGS = "arn:{partition}:logs:{region}:{account}:log-group:{log_group}"
_GLUE = "arn:{partition}:glue:{region}:{account}"
_GLUE_TABLE = (f"{_GLUE}:catalog", f"{_GLUE}:database/{{database}}", f"{_GLUE}:table/{{database}}/{{table}}")
_GLUE_DATABASE = (f"{_GLUE}:catalog", f"{_GLUE}:database/{{database}}")
_WORKGROUP = ("arn:{partition}:athena:{region}:{account}:workgroup/{workgroup}",)
_BUCKET = ("arn:{partition}:s3:::{bucket}",)
_OBJECTS = ("arn:{partition}:s3:::{bucket}/AWSLogs/{account}/vpcflowlogs/{region}/2026/11/02/file.log.gz",)
_RESULTS_BUCKET = ("arn:{partition}:s3:::{results_bucket}",)
_RESULTS = ("arn:{partition}:s3:::{results_bucket}/athena/query-id.csv",)
_ROLE = ("arn:{partition}:iam::{account}:role/{role}",)
_ANY = ("*",)


@dataclass(frozen=True)
class ApiCall:
    """One AWS API call and the IAM action that authorises it.

    Attributes:
        service: the botocore service (``ec2``, ``s3``, ``iam``, ``glue``, ``athena``, ``logs``, ``sts``).
        operation: the API operation (``CreateFlowLogs``), or ``""`` for a permission the service
            checks without a call of that name (``iam:PassRole`` at CreateFlowLogs).
        action: the IAM action, or ``None`` when the call needs none (STS GetCallerIdentity).
        resources: ARN templates the action is evaluated on (``("*",)`` for actions without a
            resource type); ``{partition}``, ``{region}``, ``{account}`` ... as in :data:`EXAMPLE_VALUES`.
        policies: the shipped policies that grant it.
        sender: who sends it: ``flowkit``, ``awswrangler``, or the service acting with your
            credentials (``Athena``, ``EC2``).
        used_by: the flowkit functions on whose path it is.
    """

    service: str
    operation: str
    action: str | None
    resources: tuple[str, ...]
    policies: tuple[str, ...]
    sender: str
    used_by: str


#: Values that fill the ARN templates in examples and tests.
EXAMPLE_VALUES = {
    "partition": "aws",
    "region": "us-east-1",
    "account": "111122223333",
    "bucket": "my-flow-logs",
    "results_bucket": "my-athena-results",
    "database": "flowkit",
    "table": "vpc_flow_logs",
    "workgroup": "primary",
    "log_group": "/vpc/flow-logs",
    "role": "flowkit-flow-logs-delivery",
}

AWS_CALLS: tuple[ApiCall, ...] = (
    # identity
    ApiCall("sts", "GetCallerIdentity", None, _ANY, (), "flowkit",
            "plans given a session, create_table, doctor (the botocore model: no permission needed)"),
    # flow logs
    ApiCall("ec2", "DescribeFlowLogs", "ec2:DescribeFlowLogs", _ANY, (QR, EF), "flowkit",
            "apply, describe_flow_logs, doctor"),
    ApiCall("ec2", "CreateFlowLogs", "ec2:CreateFlowLogs", (
        f"{_EC2}:vpc-flow-log/*", f"{_EC2}:vpc/vpc-0abc1234", f"{_EC2}:subnet/subnet-0abc1234",
        f"{_EC2}:network-interface/eni-0abc1234", f"{_EC2}:transit-gateway/tgw-0abc1234",
        f"{_EC2}:transit-gateway-attachment/tgw-attach-0abc1234",
    ), (EF,), "flowkit", "apply"),
    ApiCall("ec2", "", "ec2:CreateTags", (f"{_EC2}:vpc-flow-log/*",), (EF,), "EC2 (tags on create)",
            "apply with tags="),
    ApiCall("logs", "", "logs:CreateLogDelivery", _ANY, (EF,), "EC2 (delivery to S3)", "apply (S3 plans)"),
    ApiCall("logs", "", "logs:DeleteLogDelivery", _ANY, (EF,), "EC2 (delivery to S3)", "apply (S3 plans)"),
    ApiCall("s3", "", "s3:GetBucketPolicy", _BUCKET, (EF,), "EC2 (delivery to S3)", "apply (S3 plans)"),
    ApiCall("iam", "", "iam:PassRole", _ROLE, (EF,), "EC2 (delivery to CloudWatch Logs)",
            "apply (CloudWatch Logs plans)"),
    ApiCall("logs", "DescribeLogGroups", "logs:DescribeLogGroups", _ANY, (QR, EF), "flowkit",
            "apply (CloudWatch Logs plans), doctor"),
    ApiCall("logs", "CreateLogGroup", "logs:CreateLogGroup", (_LOGS, f"{_LOGS}:*"), (EF,), "flowkit", "apply"),
    ApiCall("logs", "PutRetentionPolicy", "logs:PutRetentionPolicy", (_LOGS, f"{_LOGS}:*"), (EF,), "flowkit",
            "apply"),
    ApiCall("iam", "GetRole", "iam:GetRole", _ROLE, (EF,), "flowkit", "apply (CloudWatch Logs plans)"),
    ApiCall("iam", "CreateRole", "iam:CreateRole", _ROLE, (EF,), "flowkit", "apply (CloudWatch Logs plans)"),
    ApiCall("iam", "PutRolePolicy", "iam:PutRolePolicy", _ROLE, (EF,), "flowkit", "apply (CloudWatch Logs plans)"),
    # the Glue database and table
    ApiCall("glue", "GetDatabase", "glue:GetDatabase", _GLUE_DATABASE, (QR, EF), "awswrangler, Athena, flowkit",
            "create_database, every Athena query, doctor"),
    ApiCall("glue", "GetDatabase", "glue:GetDatabase", (f"{_GLUE}:catalog", f"{_GLUE}:database/default"),
            (QR, EF), "Athena", "every Athena query (the Athena guide: the default database, per Region)"),
    ApiCall("glue", "CreateDatabase", "glue:CreateDatabase", _GLUE_DATABASE, (EF,), "awswrangler", "create_database"),
    ApiCall("glue", "UpdateDatabase", "glue:UpdateDatabase", _GLUE_DATABASE, (EF,), "awswrangler",
            "create_database when the database's description differs"),
    ApiCall("glue", "GetTable", "glue:GetTable", _GLUE_TABLE, (QR, EF), "flowkit, awswrangler, Athena",
            "create_table, get_table, time-bounded queries, every Athena query, doctor"),
    ApiCall("glue", "CreateTable", "glue:CreateTable", _GLUE_TABLE, (EF,), "awswrangler, Athena", "create_table"),
    ApiCall("glue", "UpdateTable", "glue:UpdateTable", _GLUE_TABLE, (EF,), "flowkit, awswrangler",
            "create_table (method='glue', again over an existing table)"),
    ApiCall("glue", "DeleteTable", "glue:DeleteTable", _GLUE_TABLE, (EF,), "awswrangler",
            "create_table (method='glue', when the table appears meanwhile)"),
    ApiCall("glue", "GetPartitions", "glue:GetPartitions", _GLUE_TABLE, (QR, EF), "flowkit, awswrangler, Athena",
            "register_partitions, create_table over an existing table, queries on Hive tables, doctor"),
    ApiCall("glue", "BatchCreatePartition", "glue:BatchCreatePartition", _GLUE_TABLE, (EF,), "flowkit",
            "register_partitions, create_table(partitioning='hive')"),
    ApiCall("glue", "BatchDeletePartition", "glue:BatchDeletePartition", _GLUE_TABLE, (EF,), "awswrangler",
            "create_table (method='glue', again over an existing table)"),
    # Athena
    ApiCall("athena", "GetWorkGroup", "athena:GetWorkGroup", _WORKGROUP, (QR, EF), "awswrangler, flowkit",
            "every Athena query and DDL, doctor"),
    ApiCall("athena", "StartQueryExecution", "athena:StartQueryExecution", _WORKGROUP, (QR, EF), "awswrangler",
            "run_query, engine.sql/query, create_table (method='athena'), doctor --query"),
    ApiCall("athena", "GetQueryExecution", "athena:GetQueryExecution", _WORKGROUP, (QR, EF), "flowkit, awswrangler",
            "wait_query, results"),
    ApiCall("athena", "StopQueryExecution", "athena:StopQueryExecution", _WORKGROUP, (QR, EF), "flowkit",
            "wait_query at its deadline"),
    ApiCall("athena", "GetQueryResults", "athena:GetQueryResults", _WORKGROUP, (QR,), "awswrangler",
            "results (column types; the rows of managed-result workgroups)"),
    # S3: the flow-log bucket
    ApiCall("s3", "ListObjectsV2", "s3:ListBucket", _BUCKET, (QR, EF), "flowkit, awswrangler, Athena",
            "read_flow_logs('s3://...'), register_partitions, Athena reading the table, doctor"),
    ApiCall("s3", "GetObject", "s3:GetObject", _OBJECTS, (QR,), "flowkit, Athena",
            "read_flow_logs('s3://...'), Athena reading the table"),
    ApiCall("s3", "GetBucketLocation", "s3:GetBucketLocation", _BUCKET, (QR,), "flowkit, Athena", "doctor"),
    # S3: Athena's results
    ApiCall("s3", "HeadBucket", "s3:ListBucket", _RESULTS_BUCKET, (QR,), "flowkit", "doctor"),
    ApiCall("s3", "ListObjectsV2", "s3:ListBucket", _RESULTS_BUCKET, (QR, EF), "Athena", "Athena writing results"),
    ApiCall("s3", "GetBucketLocation", "s3:GetBucketLocation", _RESULTS_BUCKET, (QR, EF), "Athena",
            "Athena writing results"),
    ApiCall("s3", "PutObject", "s3:PutObject", _RESULTS, (QR, EF), "Athena", "Athena writing results"),
    ApiCall("s3", "HeadObject", "s3:GetObject", _RESULTS, (QR, EF), "awswrangler", "results (reading Athena's CSV)"),
    ApiCall("s3", "GetObject", "s3:GetObject", _RESULTS, (QR, EF), "awswrangler, Athena",
            "results (reading Athena's CSV)"),
    ApiCall("s3", "AbortMultipartUpload", "s3:AbortMultipartUpload", _RESULTS, (QR,), "Athena",
            "Athena writing a large result"),
    # Logs Insights
    ApiCall("logs", "StartQuery", "logs:StartQuery", (_LOGS, f"{_LOGS}:*"), (QR,), "flowkit",
            "run_insights, engine.insights, doctor --query"),
    ApiCall("logs", "GetQueryResults", "logs:GetQueryResults", (_LOGS, f"{_LOGS}:*"), (QR,), "flowkit",
            "run_insights (every page)"),
    ApiCall("logs", "StopQuery", "logs:StopQuery", _ANY, (QR,), "flowkit", "run_insights at its deadline"),
)  # fmt: skip


def calls_for(service: str, operation: str) -> list[ApiCall]:
    """The rows of :data:`AWS_CALLS` for one API operation (several when it touches several resources)."""
    return [c for c in AWS_CALLS if c.service == service and c.operation == operation]


def required_actions(policy: str) -> set[str]:
    """The IAM actions a shipped policy must grant: those of every call that names it."""
    return {c.action for c in AWS_CALLS if policy in c.policies and c.action}


def resources(call: ApiCall, **values: str) -> list[str]:
    """A call's resource ARNs filled in (:data:`EXAMPLE_VALUES` for what is not given)."""
    filled = EXAMPLE_VALUES | values
    return [template.format(**filled) for template in call.resources]
