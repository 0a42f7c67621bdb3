"""boto3 sessions and clients: the one place flowkit builds AWS clients (session chain, standard retries).

Credentials always come from the boto3 session chain (the ``boto3_session`` you pass, or the
default chain: environment, shared config/SSO profile, instance role). flowkit never reads or
stores keys itself.

Every part of flowkit that reaches AWS (``flowkit.aws``, the AWS engine, the reader's ``s3://``
path, the notebooks' backend, the CLI) gets its session, clients and awswrangler from here, so
this module sits on the bottom floor beside :mod:`flowkit.errors`. boto3, botocore and
awswrangler are imported inside the functions: importing this module needs none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config

#: Retry policy for every client flowkit creates: botocore's standard mode retries throttling and
#: transient errors with exponential back-off.
RETRIES = {"mode": "standard", "max_attempts": 5}


def session(boto3_session: boto3.Session | None = None) -> boto3.Session:
    """The given session, or a new default one from the boto3 credential chain.

    Raises:
        AWSError: the profile named by ``AWS_PROFILE`` does not exist, or the shared config does not parse.
    """
    if boto3_session is not None:
        return boto3_session
    return _new_session()


def profile_session(profile_name: str | None = None, region_name: str | None = None) -> boto3.Session:
    """A session from a named profile of the shared AWS config (default: the default chain), never from keys.

    Raises:
        AWSError: the profile does not exist, or the shared config does not parse.
    """
    return _new_session(profile_name=profile_name, region_name=region_name)


def _new_session(**kwargs: Any) -> boto3.Session:
    """``boto3.Session(**kwargs)``, with a profile that is not configured as an :class:`AWSError` saying so."""
    import boto3
    from botocore.exceptions import BotoCoreError

    from flowkit.errors import AWSError

    try:
        return boto3.Session(**kwargs)
    except BotoCoreError as exc:  # ProfileNotFound, ConfigParseError, ...
        profile = kwargs.get("profile_name")
        origin = "" if profile else " (from AWS_PROFILE)"
        name = getattr(exc, "kwargs", {}).get("profile", profile)
        if type(exc).__name__ == "ProfileNotFound":
            raise AWSError(
                f"the AWS profile {name!r}{origin} is not in ~/.aws/config or ~/.aws/credentials: set it "
                "up (aws configure --profile NAME, or aws configure sso), name another, or unset AWS_PROFILE "
                "to use the default chain."
            ) from exc
        raise AWSError(f"cannot set up an AWS session ({aws_reason(exc)}). {CREDENTIALS_HINT}") from exc


def botocore_config() -> Config:
    """A botocore ``Config`` with standard retries."""
    from botocore.config import Config

    return Config(retries=dict(RETRIES))  # type: ignore[arg-type]


def client(service: str, boto3_session: boto3.Session | None = None) -> Any:
    """A boto3 client for ``service`` from the session chain, with standard retries."""
    return session(boto3_session).client(service, config=botocore_config())


def wrangler() -> Any:
    """Import awswrangler, making its clients use botocore standard retries.

    awswrangler builds its own clients from ``wr.config.botocore_config``. If the user has not set
    one, flowkit sets a config with standard retry mode (and awswrangler's own timeouts); a config
    the user set is left alone.
    """
    import awswrangler as wr
    from botocore.config import Config

    if wr.config.botocore_config is None:
        wr.config.botocore_config = Config(
            retries=dict(RETRIES),  # type: ignore[arg-type]
            connect_timeout=10,
            max_pool_connections=10,
        )
    return wr


def account_and_region(boto3_session: boto3.Session | None = None) -> tuple[str, str]:
    """The caller's account ID (STS GetCallerIdentity) and the session's region.

    Raises:
        AWSError: when no credentials or region are configured, or STS refuses.
    """
    from flowkit.errors import AWSError

    sess = session(boto3_session)
    region = sess.region_name
    if not region:
        raise AWSError(
            "no AWS region configured: set AWS_DEFAULT_REGION or pass boto3.Session(region_name=...)."
        )
    try:
        account = client("sts", sess).get_caller_identity()["Account"]
    except Exception as exc:  # NoCredentialsError, ClientError, EndpointConnectionError
        raise AWSError(f"could not identify the AWS account ({aws_reason(exc)}). {CREDENTIALS_HINT}") from exc
    return account, region


CREDENTIALS_HINT = (
    "Configure credentials through the boto3 chain (aws configure / aws sso login / AWS_PROFILE), "
    "or use flowkit.aws.sandbox() to work offline."
)


def aws_reason(exc: BaseException) -> str:
    """AWS's own error code and message from a botocore exception, or the exception text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code', '?')}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def is_aws_error(exc: BaseException) -> bool:
    """Whether an exception comes from botocore (a refused call, or no credentials / no connection)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, ClientError | BotoCoreError)


def strip_metadata(response: dict) -> dict:
    """An API response without ``ResponseMetadata`` (for printing and JSON)."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}
