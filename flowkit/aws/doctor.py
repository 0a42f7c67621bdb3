"""``flowkit doctor``: one read-only look at the AWS path, saying what works and what to fix.

:func:`doctor` checks, in order, and stops a branch as soon as what it needs is missing:

1. **credentials**: ``sts:GetCallerIdentity`` (needs no permission): the account and identity.
2. **region**: set, offered by Athena and CloudWatch Logs, and its partition (``aws``, ``aws-cn``,
   ``aws-us-gov``) the same as the identity's; the partition every ARN in flowkit's policies gets.
3. **Athena workgroup** (``athena:GetWorkGroup``): enabled, its engine, where results go (a query
   without a results location would make awswrangler create a bucket: flagged, never done), and
   **results bucket** (``s3:ListBucket`` through HeadBucket, owned by this account).
4. **Glue database and table** (``glue:GetDatabase``, ``glue:GetTable``): exist, the table's
   location, columns, partition keys and projection; a Hive-partitioned table without projection
   has **registered partitions** (``glue:GetPartitions``), and **data** lies under its location
   (``s3:ListBucket``, one key) in the session's Region (``s3:GetBucketLocation``).
5. **log groups** (``logs:DescribeLogGroups``): exist, hold data, are of a class Logs Insights
   can query; **flow logs** (``ec2:DescribeFlowLogs``) deliver to them (or to the table's bucket)
   without ``DeliverLogsStatus`` FAILED.
6. **guide queries**, only with ``query=True``: the guide's first question on each engine, bounded
   to the last ``window`` (Athena bills at least 10 MB, about USD 0.00005; Logs Insights bills the
   GB scanned in the window, USD 0.005/GB), reporting rows, data scanned and cost. Athena writes its
   result into the results location: the only thing the doctor ever writes, and only when asked.

Nothing is created, changed or deleted. Each check names the API call and the IAM action it needs
(from :data:`flowkit.aws.calls.AWS_CALLS`); an access-denied answer becomes "missing <action>". The
shipped ``query-readonly`` policy grants every action the doctor uses.

Example::

    report = flowkit.aws.doctor(athena="flowkit.vpc_flow_logs", log_groups="/vpc/flow-logs",
                                s3_output="s3://my-athena-results/", boto3_session=boto3.Session())
    print(report)            # what works, what to fix
    report.to_frame()        # one row per check
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit import sessions
from flowkit.aws import calls, policies
from flowkit.errors import FlowkitError, ParameterError
from flowkit.frames import with_flowkit_dtypes

if TYPE_CHECKING:
    import boto3

__all__ = ["Check", "DoctorReport", "doctor"]

_log = logging.getLogger(__name__)

#: What a check can conclude.
STATUSES = ("ok", "warn", "fail", "skip")
_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess")
_GUIDE_QUERY = "guide_outbound_admin"
_GUIDE_TABLE = '"<vpc_flow_logs_table_name>"'
_NAME = re.compile(r"[A-Za-z0-9_]{1,255}")


@dataclass(frozen=True)
class Check:
    """One finding of :func:`doctor`.

    Attributes:
        name: what was checked (``credentials``, ``athena workgroup`` ...).
        status: ``ok``, ``warn`` (works, but look), ``fail`` (will not work) or ``skip`` (not checked).
        detail: what was found.
        fix: what to do, when something is wrong.
        call: the API call made (``athena.get_work_group``), if any.
        iam_action: the IAM action that call needs, if any.
    """

    name: str
    status: str
    detail: str
    fix: str = ""
    call: str = ""
    iam_action: str = ""


@dataclass
class DoctorReport:
    """What :func:`doctor` found: one :class:`Check` per line, in order.

    Attributes:
        checks: the checks.
        sandbox: whether it ran against the moto sandbox.
        account_id: the account, when credentials worked.
        region: the Region.
    """

    checks: list[Check] = field(default_factory=list)
    sandbox: bool = False
    account_id: str | None = None
    region: str | None = None

    @property
    def ok(self) -> bool:
        """Whether nothing failed (warnings allowed)."""
        return not any(c.status == "fail" for c in self.checks)

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status."""
        return {s: sum(c.status == s for c in self.checks) for s in STATUSES}

    def to_frame(self) -> pd.DataFrame:
        """The checks as a frame: ``check, status, detail, fix, call, iam_action``."""
        rows = [
            {
                "check": c.name,
                "status": c.status,
                "detail": c.detail,
                "fix": c.fix,
                "call": c.call,
                "iam_action": c.iam_action,
            }
            for c in self.checks
        ]
        columns = ["check", "status", "detail", "fix", "call", "iam_action"]
        return with_flowkit_dtypes(pd.DataFrame(rows, columns=columns))

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON-ready)."""
        return {
            "sandbox": self.sandbox,
            "account_id": self.account_id,
            "region": self.region,
            "ok": self.ok,
            "counts": self.counts(),
            "checks": [c.__dict__ for c in self.checks],
        }

    def __str__(self) -> str:
        head = "flowkit doctor" + (" (SANDBOX: moto in-process, nothing reached AWS)" if self.sandbox else "")
        width = max((len(c.name) for c in self.checks), default=10)
        lines = [head]
        for c in self.checks:
            lines.append(f"  [{_MARK[c.status]}] {c.name.ljust(width)}  {c.detail}")
            if c.fix and c.status in ("warn", "fail"):
                lines.append(f"  {' ' * (8 + width)}fix: {c.fix}")
        counts = self.counts()
        verdict = "works" if self.ok else "does not work yet"
        lines.append(
            f"The AWS path {verdict}: {counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failure(s), "
            f"{counts['skip']} skipped. Nothing was created or changed."
        )
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = "\n".join(
            f"| {c.name} | **{c.status}** | {c.detail} | {c.fix} | `{c.iam_action}` |" for c in self.checks
        )
        return "| check | status | found | fix | IAM action |\n|---|---|---|---|---|\n" + rows + "\n"


def _action(call: str) -> str:
    """The IAM action of ``service.snake_case_operation`` from the call map ('' when none is needed)."""
    service, _, op = call.partition(".")
    operation = "".join(part.title() for part in op.split("_"))
    found = calls.calls_for(service, operation)
    return (found[0].action or "") if found else ""


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


class _Doctor:
    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self.report = DoctorReport()
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = sessions.client(service, self.session)
        return self._clients[service]

    def add(self, name: str, status: str, detail: str, fix: str = "", call: str = "") -> Check:
        check = Check(name, status, detail, fix, call, _action(call) if call else "")
        self.report.checks.append(check)
        return check

    def call(self, name: str, call: str, fn: Callable[[], Any], what: str, fix: str) -> Any:
        """Run one API call; on an AWS error add a failed check (naming the IAM action) and return None."""
        try:
            return fn()
        except Exception as exc:
            if not sessions.is_aws_error(exc):
                raise
            reason = sessions.aws_reason(exc)
            action = _action(call)
            if _code(exc) in _DENIED:
                self.add(
                    name,
                    "fail",
                    f"{call} was refused: {reason}",
                    f"grant {action} on {what} (flowkit/policies/query-readonly.json has it).",
                    call,
                )
            else:
                self.add(name, "fail", f"{what}: {reason}", fix, call)
            return None

    # ------------------------------------------------------------------ identity and Region

    def credentials(self) -> bool:
        call = "sts.get_caller_identity"
        found = self.call(
            "credentials",
            call,
            lambda: self.client("sts").get_caller_identity(),
            "the caller's identity",
            sessions.CREDENTIALS_HINT,
        )
        if found is None:
            return False
        self.report.account_id = found["Account"]
        arn = found["Arn"]
        if arn.endswith(":root"):
            self.add(
                "credentials",
                "warn",
                f"account {found['Account']} as the root user",
                "use an IAM role or user with flowkit/policies/query-readonly.json, not the root user.",
                call,
            )
        else:
            self.add("credentials", "ok", f"account {found['Account']} as {arn}", call=call)
        return True

    def region(self) -> bool:
        region = self.session.region_name
        self.report.region = region
        if not region:
            self.add(
                "region",
                "fail",
                "no Region configured",
                "set AWS_DEFAULT_REGION, the profile's region, or pass --region.",
            )
            return False
        partition = policies.partition_for_region(region)
        missing = [
            service
            for service in ("athena", "logs")
            if region not in self.session.get_available_regions(service, partition_name=partition)
        ]
        identity = self._identity_partition()
        if identity and identity != partition:
            self.add(
                "region",
                "fail",
                f"{region} is in partition {partition}, but the credentials belong to {identity}",
                f"pick a Region of the {identity} partition.",
            )
            return False
        if missing:
            self.add(
                "region",
                "warn",
                f"{region} (partition {partition}): this botocore does not list {', '.join(missing)} there",
                "check the Region name, or upgrade boto3/botocore if the Region is new.",
            )
        else:
            self.add(
                "region",
                "ok",
                f"{region}, partition {partition} (flowkit's policies and ARNs are written arn:{partition}:...)",
            )
        return True

    def _identity_partition(self) -> str | None:
        for check in self.report.checks:
            if check.name == "credentials" and " as arn:" in check.detail:
                return check.detail.split(" as arn:", 1)[1].split(":", 1)[0]
        return None

    # ------------------------------------------------------------------ Athena

    def workgroup(self, workgroup: str, s3_output: str | None) -> str | None:
        """The workgroup check; returns the results location to use (None: none)."""
        call = "athena.get_work_group"
        found = self.call(
            "athena workgroup",
            call,
            lambda: self.client("athena").get_work_group(WorkGroup=workgroup),
            f"workgroup {workgroup}",
            f"create the workgroup or pass --workgroup (checked: {workgroup}).",
        )
        if found is None:
            return None
        group = found.get("WorkGroup")
        if not group:  # moto answers an unknown name with an empty 200; AWS with InvalidRequestException
            self.add(
                "athena workgroup", "fail", f"workgroup {workgroup} not found", "pass --workgroup NAME.", call
            )
            return None
        config = group.get("Configuration", {})
        engine = config.get("EngineVersion", {}).get("EffectiveEngineVersion", "engine version not reported")
        location = config.get("ResultConfiguration", {}).get("OutputLocation")
        enforced = bool(config.get("EnforceWorkGroupConfiguration"))
        managed = bool(config.get("ManagedQueryResultsConfiguration", {}).get("Enabled"))
        cutoff = config.get("BytesScannedCutoffPerQuery")
        notes = [engine] + ([f"scan limit {cutoff / 1024**3:.1f} GB per query"] if cutoff else [])
        if group.get("State", "ENABLED") != "ENABLED":
            self.add(
                "athena workgroup",
                "fail",
                f"{workgroup} is {group.get('State')}",
                "enable the workgroup or pass another one.",
                call,
            )
            return None
        if enforced and s3_output and location and s3_output != location:
            self.add(
                "athena workgroup",
                "warn",
                f"{workgroup} ({'; '.join(notes)}) enforces its own results location {location}: "
                f"--s3-output {s3_output} is ignored",
                "drop --s3-output, or use a workgroup that does not enforce its configuration.",
                call,
            )
            return location
        output = (location if enforced else s3_output or location) or None
        if output is None and not managed:
            self.add(
                "athena workgroup",
                "warn",
                f"{workgroup} ({'; '.join(notes)}) has no results location and none was given",
                "pass --s3-output s3://bucket/prefix/ (without one awswrangler tries to create "
                "aws-athena-query-results-<account>-<region>, which needs s3:CreateBucket).",
                call,
            )
            return None
        where = output or "managed query results"
        self.add("athena workgroup", "ok", f"{workgroup} ({'; '.join(notes)}), results to {where}", call=call)
        return output

    def results_bucket(self, output: str) -> None:
        bucket = output.removeprefix("s3://").split("/", 1)[0]
        call = "s3.head_bucket"
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if self.report.account_id:
            kwargs["ExpectedBucketOwner"] = self.report.account_id
        found = self.call(
            "results bucket",
            call,
            lambda: self.client("s3").head_bucket(**kwargs),
            f"bucket {bucket}",
            f"create the bucket {bucket} in this account, or pass another --s3-output.",
        )
        if found is not None:
            self.add("results bucket", "ok", f"{bucket} exists and belongs to this account", call=call)

    def table(self, database: str, table: str) -> dict | None:
        glue = self.client("glue")
        found = self.call(
            "glue database",
            "glue.get_database",
            lambda: glue.get_database(Name=database),
            f"database {database}",
            f"create it: flowkit.aws.create_database({database!r}) (or pass --athena DB.TABLE).",
        )
        if found is None:
            self.add("glue table", "skip", f"{database}.{table}: the database is missing")
            return None
        self.add("glue database", "ok", f"{database}", call="glue.get_database")
        found = self.call(
            "glue table",
            "glue.get_table",
            lambda: glue.get_table(DatabaseName=database, Name=table),
            f"table {database}.{table}",
            f"create it: flowkit.aws.create_table('s3://bucket/prefix/', database={database!r}) or "
            "table_for_plan(plan, ...).",
        )
        if found is None:
            return None
        info = found["Table"]
        storage = info.get("StorageDescriptor", {})
        location = storage.get("Location", "")
        keys = [k["Name"] for k in info.get("PartitionKeys", [])]
        params = info.get("Parameters", {})
        projection = params.get("projection.enabled", "false").lower() == "true"
        text = "LazySimpleSerDe" in storage.get("SerdeInfo", {}).get(
            "SerializationLibrary", ""
        ) or "Text" in (storage.get("InputFormat") or "")
        detail = (
            f"{database}.{table}: {len(storage.get('Columns', []))} columns at {location or '(no location)'}, "
            f"partitions {keys or 'none'}{', projected' if projection else ''}"
        )
        if not location.startswith("s3://"):
            self.add("glue table", "fail", detail, "the table needs an s3:// LOCATION.", "glue.get_table")
            return None
        if text and params.get("skip.header.line.count") != "1":
            self.add(
                "glue table",
                "warn",
                detail + "; text table without skip.header.line.count=1",
                "S3 text deliveries start with a header line: recreate the table with flowkit.aws.create_table.",
                "glue.get_table",
            )
        else:
            self.add("glue table", "ok", detail, call="glue.get_table")
        return info

    def partitions(self, database: str, table: str, info: dict) -> None:
        keys = [k["Name"] for k in info.get("PartitionKeys", [])]
        projected = info.get("Parameters", {}).get("projection.enabled", "false").lower() == "true"
        if not keys or projected:
            why = "not partitioned" if not keys else "partition projection: nothing to register"
            self.add("partitions", "ok", why)
            return
        call = "glue.get_partitions"
        found = self.call(
            "partitions",
            call,
            lambda: self.client("glue").get_partitions(
                DatabaseName=database, TableName=table, MaxResults=1, ExcludeColumnSchema=True
            ),
            f"the partitions of {database}.{table}",
            "",
        )
        if found is None:
            return
        if not found.get("Partitions"):
            self.add(
                "partitions",
                "warn",
                f"{database}.{table} is partitioned by {keys} without projection and has no registered partitions: "
                "Athena reads nothing",
                f"run flowkit.aws.register_partitions({database!r}, {table!r}) (or MSCK REPAIR TABLE), and again "
                "as new days arrive; or recreate the table with partition projection.",
                call,
            )
        else:
            self.add(
                "partitions",
                "ok",
                f"partitions registered (first: {found['Partitions'][0]['Values']})",
                call=call,
            )

    def data(self, location: str) -> None:
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        s3 = self.client("s3")
        found = self.call(
            "table data",
            "s3.list_objects_v2",
            lambda: s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1),
            f"s3://{bucket}/{prefix}",
            f"check that the bucket {bucket} exists.",
        )
        if found is None:
            return
        if not found.get("KeyCount", len(found.get("Contents", []))):
            self.add(
                "table data",
                "warn",
                f"no objects under {location}",
                "flow logs deliver about every 5 minutes (S3 10 minutes): check the flow log's destination "
                "(flowkit.aws.describe_flow_logs) and the table's LOCATION.",
                "s3.list_objects_v2",
            )
            return
        first = found["Contents"][0]
        self.add(
            "table data", "ok", f"objects under {location} (e.g. {first['Key']})", call="s3.list_objects_v2"
        )
        located = self.call(
            "bucket region",
            "s3.get_bucket_location",
            lambda: s3.get_bucket_location(Bucket=bucket),
            f"bucket {bucket}",
            "",
        )
        if located is None:
            return
        where = located.get("LocationConstraint") or "us-east-1"
        where = "eu-west-1" if where == "EU" else where
        if where != self.report.region:
            self.add(
                "bucket region",
                "warn",
                f"{bucket} is in {where}, the session in {self.report.region}",
                "Athena reads across Regions but bills the transfer: query from the bucket's Region.",
                "s3.get_bucket_location",
            )
        else:
            self.add("bucket region", "ok", f"{bucket} is in {where}", call="s3.get_bucket_location")

    # ------------------------------------------------------------------ CloudWatch Logs and flow logs

    def log_groups(self, groups: list[str]) -> list[str]:
        """Check each group; returns the names found."""
        from flowkit.aws.logs import log_group_identifiers

        logs = self.client("logs")
        names: list[str] = []
        for ident in log_group_identifiers(groups):
            name = ident.split(":log-group:", 1)[1] if ident.startswith("arn:") else ident
            found = self.call(
                "log group",
                "logs.describe_log_groups",
                lambda name=name: logs.describe_log_groups(logGroupNamePrefix=name, limit=50),
                f"log group {name}",
                "",
            )
            if found is None:
                continue
            group = next((g for g in found.get("logGroups", []) if g["logGroupName"] == name), None)
            if group is None:
                self.add(
                    "log group",
                    "fail",
                    f"{name} not found in {self.report.region}",
                    "check the name and the Region (flowkit enable --log-group NAME creates one with the flow log).",
                    "logs.describe_log_groups",
                )
                continue
            names.append(name)
            kind = group.get("logGroupClass", "STANDARD")
            stored = int(group.get("storedBytes", 0))
            retention = group.get("retentionInDays")
            detail = (
                f"{name}: class {kind}, {stored / 1024**2:.1f} MB stored, "
                f"retention {f'{retention} days' if retention else 'never expires'}"
            )
            if kind == "DELIVERY":
                self.add(
                    "log group",
                    "fail",
                    detail,
                    "the DELIVERY class does not support Logs Insights: deliver flow logs to a STANDARD group.",
                    "logs.describe_log_groups",
                )
            elif stored == 0:
                self.add(
                    "log group",
                    "warn",
                    detail + " (storedBytes can lag by hours)",
                    "if it stays empty, check the flow log's delivery status (flowkit.aws.describe_flow_logs).",
                    "logs.describe_log_groups",
                )
            else:
                self.add("log group", "ok", detail, call="logs.describe_log_groups")
        return names

    def flow_logs(self, log_groups: list[str], bucket: str | None) -> None:
        ec2 = self.client("ec2")
        call = "ec2.describe_flow_logs"

        def read() -> list[dict]:
            out: list[dict] = []
            filters = []
            if log_groups:
                filters.append([{"Name": "log-group-name", "Values": log_groups}])
            if bucket:
                filters.append([{"Name": "log-destination-type", "Values": ["s3"]}])
            for flt in filters:
                for page in ec2.get_paginator("describe_flow_logs").paginate(Filters=flt):
                    out += page.get("FlowLogs", [])
            return out

        found = self.call("flow logs", call, read, "the flow logs", "")
        if found is None:
            return
        mine = [
            fl
            for fl in found
            if fl.get("LogGroupName") in log_groups
            or (bucket and (fl.get("LogDestination") or "").split(":::", 1)[-1].split("/", 1)[0] == bucket)
        ]
        if not mine:
            where = " or ".join([*log_groups, *([f"s3://{bucket}"] if bucket else [])])
            self.add(
                "flow logs",
                "warn",
                f"no flow log in {self.report.region} delivers to {where}",
                "enable one: flowkit enable --vpc vpc-... --s3 s3://bucket/prefix/ (or --log-group NAME).",
                call,
            )
            return
        failed = [fl for fl in mine if fl.get("DeliverLogsStatus") == "FAILED"]
        listed = ", ".join(f"{fl['FlowLogId']} on {fl['ResourceId']}" for fl in mine[:5])
        if failed:
            reasons = "; ".join(
                f"{fl['FlowLogId']}: {fl.get('DeliverLogsErrorMessage', 'no reason')}" for fl in failed[:5]
            )
            self.add(
                "flow logs",
                "fail",
                f"{len(failed)} of {len(mine)} flow log(s) fail to deliver: {reasons}",
                "'Access error': the delivery role or bucket policy (see flowkit enable's plan); "
                "'Rate limited': too many flow logs to one group.",
                call,
            )
        else:
            self.add("flow logs", "ok", f"{len(mine)} flow log(s) deliver here: {listed}", call=call)

    # ------------------------------------------------------------------ guide queries

    def athena_query(
        self, database: str, table: str, workgroup: str, output: str | None, window: timedelta, timeout: float
    ) -> None:
        from flowkit.aws.athena import run_query
        from flowkit.queries import get_query, strip_header

        if output is None:
            self.add(
                "athena query",
                "skip",
                "no results location: the query would make awswrangler create a bucket",
                "pass --s3-output s3://bucket/prefix/.",
            )
            return
        sql = (
            strip_header(get_query(_GUIDE_QUERY).sql)
            .rstrip(";")
            .replace(_GUIDE_TABLE, f'"{database}"."{table}"')
        )
        end = datetime.now(UTC).replace(microsecond=0)
        try:
            frame = run_query(
                sql,
                database=database,
                table=table,
                start=end - window,
                end=end,
                workgroup=workgroup,
                s3_output=output,
                timeout=timeout,
                boto3_session=self.session,
            )
        except FlowkitError as exc:
            self.add(
                "athena query",
                "fail",
                f"{_GUIDE_QUERY}: {exc}",
                "the message is Athena's; an AccessDenied names the missing action (query-readonly.json).",
                "athena.start_query_execution",
            )
            return
        stats = frame.attrs["query"]
        self.add(
            "athena query",
            "ok",
            f"{_GUIDE_QUERY} over the last {_minutes(window)}: {len(frame)} row(s), scanned "
            f"{stats['data_scanned_bytes'] / 1024**2:.1f} MB, about USD {stats['cost_usd']:.5f}",
            call="athena.start_query_execution",
        )

    def insights_query(self, groups: list[str], window: timedelta, timeout: float) -> None:
        from flowkit.aws.logs import run_insights
        from flowkit.queries import get_query, strip_header

        text = get_query(_GUIDE_QUERY).insights or "fields @timestamp, @message | limit 20"
        end = datetime.now(UTC).replace(microsecond=0)
        try:
            frame = run_insights(
                strip_header(text),
                groups,
                start=end - window,
                end=end,
                timeout=timeout,
                boto3_session=self.session,
            )
        except FlowkitError as exc:
            self.add(
                "insights query",
                "fail",
                f"{_GUIDE_QUERY}: {exc}",
                "an AccessDenied names the missing action (query-readonly.json).",
                "logs.start_query",
            )
            return
        stats = frame.attrs["query"]
        self.add(
            "insights query",
            "ok",
            f"{_GUIDE_QUERY} over the last {_minutes(window)} ({stats['query_language']}): {len(frame)} row(s), scanned "
            f"{stats['bytes_scanned'] / 1024**2:.1f} MB, about USD {stats['cost_usd']:.5f}",
            call="logs.start_query",
        )


def doctor(
    *,
    athena: str | None = None,
    log_groups: Sequence[str] | str | None = None,
    workgroup: str = "primary",
    s3_output: str | None = None,
    query: bool = False,
    window: timedelta = timedelta(hours=1),
    timeout: float = 120.0,
    boto3_session: boto3.Session | None = None,
) -> DoctorReport:
    """Check, read-only, that the AWS path works for this account, and say what to fix.

    Args:
        athena: ``"database"`` or ``"database.table"`` (table default ``vpc_flow_logs``), or ``None``
            to skip the Athena checks.
        log_groups: log group names or ARNs for Logs Insights, or ``None`` to skip them.
        workgroup: the Athena workgroup.
        s3_output: where Athena writes results (default: the workgroup's).
        query: also run the guide's first question on each engine over the last ``window`` (billed:
            Athena at least 10 MB, Logs Insights the data scanned; Athena writes its result to
            ``s3_output``). Off by default.
        window: how far back the guide queries look.
        timeout: seconds each guide query may run before it is stopped.
        boto3_session: the session (default: the boto3 credential chain).

    Returns:
        The report: print it, or ``report.to_frame()``; ``report.ok`` says whether nothing failed.

    Raises:
        ParameterError: on a malformed ``athena``, log group or window.
    """
    from flowkit.aws.sandbox import is_sandbox

    database, table = _athena(athena)
    groups = [log_groups] if isinstance(log_groups, str) else list(log_groups or [])
    if groups:
        from flowkit.aws.logs import log_group_identifiers

        groups = log_group_identifiers(groups)
    if not isinstance(window, timedelta) or window <= timedelta(0) or window > timedelta(days=1):
        raise ParameterError(f"window must be a timedelta of up to one day, not {window!r}.")
    session = sessions.session(boto3_session)
    doc = _Doctor(session)
    doc.report.sandbox = is_sandbox(session)
    if not doc.credentials() or not doc.region():
        doc.add("the rest", "skip", "needs working credentials and a Region")
        return doc.report
    output = None
    info = None
    if database:
        output = doc.workgroup(workgroup, s3_output)
        if output:
            doc.results_bucket(output)
        info = doc.table(database, table)
        if info is not None:
            doc.partitions(database, table, info)
            doc.data(info["StorageDescriptor"]["Location"])
    else:
        doc.add("athena", "skip", "no --athena DB[.TABLE] given")
    names = doc.log_groups(groups) if groups else []
    if not groups:
        doc.add("log group", "skip", "no --log-group given")
    bucket = None
    if info is not None:
        bucket = info["StorageDescriptor"]["Location"].removeprefix("s3://").split("/", 1)[0]
    if names or bucket:
        doc.flow_logs(names, bucket)
    if not query:
        doc.add(
            "guide queries",
            "skip",
            "not run: pass query=True (--query) to run the guide's first question on each engine over the "
            f"last {_minutes(window)} (Athena bills at least 10 MB, about USD 0.00005; Logs Insights USD 0.005 per GB "
            "scanned in the window)",
        )
        return doc.report
    if database and info is not None:
        doc.athena_query(database, table, workgroup, output, window, timeout)
    elif database:
        doc.add("athena query", "skip", "the table is missing")
    if names:
        doc.insights_query(names, window, timeout)
    elif groups:
        doc.add("insights query", "skip", "no log group was found")
    _log.info("doctor: %s", doc.report.counts())
    return doc.report


def _minutes(window: timedelta) -> str:
    return f"{window.total_seconds() / 60:g} min"


def _athena(athena: str | None) -> tuple[str | None, str]:
    if athena is None:
        return None, "vpc_flow_logs"
    if not isinstance(athena, str):
        raise ParameterError(f"athena takes 'database' or 'database.table', not {athena!r}.")
    database, _, table = athena.partition(".")
    if not _NAME.fullmatch(database) or (table and not _NAME.fullmatch(table)):
        raise ParameterError(f"athena={athena!r}: give 'database' or 'database.table' (letters, digits, _).")
    return database, table or "vpc_flow_logs"
