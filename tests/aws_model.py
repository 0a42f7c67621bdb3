"""Holding flowkit's AWS requests to the services' own models: the one helper every AWS test uses.

botocore's ``ParamValidator`` runs on every request, stubbed (botocore's ``Stubber``) or sent to
moto, but it checks only required members, types and ``min``
(``VALIDATED_METADATA_ATTRS = {'required', 'min', 'document', 'union'}`` in botocore/validate.py).
:func:`model_violations` adds what it skips, read from the same installed service model: ``max``
(lengths, list sizes, numbers), ``pattern`` (as a full match: the services validate whole values)
and ``enum``; and the limits the API reference states only in prose (:data:`DOCUMENTED_RULES`),
each with the page it comes from.

:class:`StubbedSession` is a boto3 session whose clients (flowkit's and awswrangler's alike) are
botocore Stubbers that record every request; :func:`record_requests` records the requests of a
moto sandbox session. Both feed :func:`violations`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.stub import Stubber
from botocore.validate import ParamValidator


@dataclass(frozen=True)
class Violation:
    """One way a request departs from the service model (or from a limit its documentation states)."""

    path: str
    rule: str  # "botocore" | "max" | "pattern" | "enum" | "documented"
    detail: str

    def __str__(self) -> str:
        return f"{self.path or '<request>'}: [{self.rule}] {self.detail}"


@cache
def _service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


@cache
def _pattern(text: str) -> re.Pattern | None:
    """A model pattern as a Python regex, or None when Python cannot read it (Java's ``\\p{L}``, surrogates)."""
    try:
        return re.compile(text)
    except re.error:
        return None


def _walk(value: Any, shape: Any, path: str, out: list[Violation]) -> None:
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                _walk(value[name], member, f"{path}.{name}" if path else name, out)
    elif kind == "list" and isinstance(value, list | tuple):
        limit = meta.get("max")
        if limit is not None and len(value) > limit:
            out.append(Violation(path, "max", f"{len(value)} items > max {limit}"))
        for i, item in enumerate(value):
            _walk(item, shape.member, f"{path}[{i}]", out)
    elif kind == "map" and isinstance(value, dict):
        limit = meta.get("max")
        if limit is not None and len(value) > limit:
            out.append(Violation(path, "max", f"{len(value)} entries > max {limit}"))
        for k, v in value.items():
            _walk(k, shape.key, f"{path}<key {k!r}>", out)
            _walk(v, shape.value, f"{path}[{k!r}]", out)
    elif kind == "string" and isinstance(value, str):
        limit = meta.get("max")
        if limit is not None and len(value) > limit:
            out.append(Violation(path, "max", f"length {len(value)} > max {limit}"))
        pattern = _pattern(meta["pattern"]) if "pattern" in meta else None
        if pattern is not None and not pattern.fullmatch(value):
            out.append(Violation(path, "pattern", f"{value[:80]!r} does not match {pattern.pattern!r}"))
        if shape.enum and value not in shape.enum:
            out.append(Violation(path, "enum", f"{value!r} not in {shape.enum}"))
    elif kind in ("integer", "long", "float", "double") and isinstance(value, int | float):
        limit = meta.get("max")
        if limit is not None and value > limit:
            out.append(Violation(path, "max", f"{value} > max {limit}"))


# ---------------------------------------------------------------- limits the API reference states in prose


def _create_flow_logs(p: dict) -> list[str]:
    """EC2 CreateFlowLogs (botocore's ec2 model documentation of ResourceIds, TrafficType,
    MaxAggregationInterval; https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html)."""
    transit = p.get("ResourceType") in ("TransitGateway", "TransitGatewayAttachment")
    cap = (
        25 if transit else 300
    )  # "Maximum of 25 for transit gateway resource types. Maximum of 300 for the other"
    problems = []
    if len(p.get("ResourceIds", [])) > cap:
        problems.append(f"ResourceIds: {len(p['ResourceIds'])} > {cap} for {p.get('ResourceType')}")
    interval = p.get("MaxAggregationInterval")
    if interval is not None and interval not in (60, 600):
        problems.append(f"MaxAggregationInterval {interval} is not 60 or 600")
    if transit and interval not in (None, 60):
        problems.append("MaxAggregationInterval must be 60 for transit gateway resource types")
    if transit and "TrafficType" in p:
        problems.append("TrafficType is not supported for transit gateway resource types")
    if not transit and "TrafficType" not in p:
        problems.append("TrafficType is required for VPC, Subnet and NetworkInterface")
    if p.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs" and not p.get(
        "DeliverLogsPermissionArn"
    ):
        problems.append("DeliverLogsPermissionArn is required for cloud-watch-logs")
    if "DestinationOptions" in p and p.get("LogDestinationType") != "s3":
        problems.append("DestinationOptions apply to S3 destinations only")
    return problems


def _start_query(p: dict) -> list[str]:
    """CloudWatch Logs StartQuery (botocore's logs model documentation;
    https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html)."""
    problems = []
    given = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if k in p]
    if len(given) != 1:
        problems.append(f"exactly one of logGroupName, logGroupNames, logGroupIdentifiers; got {given}")
    groups = p.get("logGroupNames") or p.get("logGroupIdentifiers") or []
    if len(groups) > 50:
        problems.append(f"{len(groups)} log groups > 50")
    problems += [
        f"logGroupIdentifiers: {g!r} ends in '*' (\"Don't include an * at the end.\")"
        for g in p.get("logGroupIdentifiers", [])
        if g.endswith("*")
    ]
    if p.get("startTime", 0) > p.get("endTime", 0):
        problems.append("startTime is after endTime")
    if p.get("queryLanguage") in ("SQL", "PPL") and p.get("limit", 0) > 10_000:
        problems.append("a limit above 10,000 is supported only for Logs Insights QL (CWLI)")
    return problems


def placeholders_outside_where(sql: str) -> list[str]:
    """The clauses other than WHERE that hold a ``?``, for the nearest enclosing query.

    Written apart from flowkit's own (:func:`flowkit.sql.to_qmark`) so a test does not check
    flowkit against itself.
    """
    import sqlglot
    from sqlglot import exp

    found = []
    for node in sqlglot.parse_one(sql, read="athena").find_all(exp.Placeholder):
        child, parent = node, node.parent
        while parent is not None and not isinstance(parent, exp.Select | exp.SetOperation):
            child, parent = parent, parent.parent
        clause = child.arg_key if parent is not None else "statement"
        if clause != "where":
            found.append(clause)
    return found


def _start_query_execution(p: dict) -> list[str]:
    """Athena StartQueryExecution: "Currently, ? parameters can be placed only in the WHERE clause."
    (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html); one value per ``?``."""
    import sqlglot
    from sqlglot import exp

    sql, values = p.get("QueryString", ""), p.get("ExecutionParameters") or []
    if not values and "?" not in sql:
        return []
    try:
        tree = sqlglot.parse_one(sql, read="athena")
    except sqlglot.errors.ParseError:
        return []  # DDL and such: no parameters to place
    problems = []
    outside = placeholders_outside_where(sql)
    if outside:
        problems.append(f"'?' outside WHERE in {sorted(set(outside))}")
    count = sum(1 for n in tree.find_all(exp.Placeholder) if n.this is None)
    if count != len(values):
        problems.append(f"{count} '?' placeholders but {len(values)} ExecutionParameters")
    return problems


DOCUMENTED_RULES: dict[tuple[str, str], Callable[[dict], list[str]]] = {
    ("ec2", "CreateFlowLogs"): _create_flow_logs,
    ("logs", "StartQuery"): _start_query,
    ("athena", "StartQueryExecution"): _start_query_execution,
}


def model_violations(service: str, operation: str, params: dict) -> list[Violation]:
    """Everything wrong with a request: botocore's own checks, then max/pattern/enum, then prose limits.

    Examples:
        >>> [str(v) for v in model_violations("logs", "GetQueryResults", {"queryId": "q", "maxItems": 20000})]
        ['maxItems: [max] 20000 > max 10000']
    """
    op = _service_model(service).operation_model(operation)
    out: list[Violation] = []
    report = ParamValidator().validate(params, op.input_shape)
    if report.has_errors():
        out += [Violation("", "botocore", line.strip()) for line in report.generate_report().splitlines()[1:]]
    _walk(params, op.input_shape, "", out)
    rule = DOCUMENTED_RULES.get((service, op.name))
    if rule:
        out += [Violation("", "documented", text) for text in rule(params)]
    return out


# ---------------------------------------------------------------- recording requests


Request = tuple[str, str, dict]  # (service, operation, params)


def _recorder(requests: list[Request]) -> Callable[..., None]:
    def record(model: Any, params: dict, **_: Any) -> None:
        requests.append((model.service_model.service_name, model.name, dict(params)))

    return record


def record_requests(session: boto3.Session) -> list[Request]:
    """Record every request the clients made from ``session`` from now on send (moto or real)."""
    requests: list[Request] = []
    session.events.register("before-parameter-build.*.*", _recorder(requests))
    return requests


def violations(requests: list[Request]) -> list[str]:
    """The model violations of recorded requests, one line each."""
    return [f"{s}.{op}: {v}" for s, op, params in requests for v in model_violations(s, op, params)]


class StubbedSession(boto3.Session):
    """A boto3 session whose clients are cached, stubbed (botocore's Stubber) and recorded, one per service.

    flowkit (``session.client(service, config=...)``) and awswrangler (``session.client(service_name=...,
    endpoint_url=..., config=...)``) get the same client, so a whole call sequence is scripted with
    ``stub(service).add_response(operation, response, expected_params)`` and its requests checked
    with :func:`violations`. Responses are validated against the model's output shapes too.
    """

    def __init__(self, region_name: str = "us-east-1") -> None:
        super().__init__(region_name=region_name)
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}
        self.requests: list[Request] = []

    def client(self, service_name: str | None = None, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        name = service_name or kwargs.get("service_name")
        if name not in self.clients:
            real = super().client(name, region_name=self.region_name)
            real.meta.events.register("before-parameter-build.*.*", _recorder(self.requests))
            stub = Stubber(real)
            stub.activate()
            self.clients[name], self.stubs[name] = real, stub
        return self.clients[name]

    def stub(self, service: str) -> Stubber:
        self.client(service)
        return self.stubs[service]

    def close(self) -> None:
        """Check every scripted response was used, and deactivate the stubs."""
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()
            stub.deactivate()
