"""The example queries of the spec's section 7 (logs-insights-language.md): every one parses, and
every one runs on flow-log records (fields flow logs do not have are empty, as in CloudWatch)
except the negative examples, which fail with a clear error. Some results are checked in full."""

from __future__ import annotations

import pytest
from insights_data import (
    T0,
    records,
    run,
)

from flowkit.engines.insights import InsightsQueryError, parse_insights

STARS_27 = " ".join(["*"] * 27)
STARS_29 = " ".join(["*"] * 29)
STARS_14 = " ".join(["*"] * 14)
KC_27 = (
    "account_id, vpc_id, subnet_id, interface_id, instance_id, srcaddr, srcport, dstaddr, dstport, protocol, "
    "packets, bytes, action, log_status, start, end, flow_direction, traffic_path, tcp_flags, pkt_srcaddr, "
    "pkt_src_aws_service, pkt_dstaddr, pkt_dst_aws_service, region, az_id, sublocation_type, sublocation_id"
)
KC_29 = (
    "version, account_id, vpc_id, subnet_id, interface_id, instance_id, type, srcaddr, srcport, dstaddr, "
    "dstport, protocol, packets, bytes, action, log_status, start, end, flow_direction, traffic_path, tcp_flags, "
    "pkt_srcaddr, pkt_src_aws_service, pkt_dstaddr, pkt_dst_aws_service, region, az_id, sublocation_type, "
    "sublocation_id"
)
DEFAULT_14 = (
    "version, accountId, interfaceId, srcAddr, dstAddr, srcPort, dstPort, protocol, packets, bytes, "
    "startTime, endTime, action, logStatus"
)
SNAKE_14 = (
    "version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "
    "end, action, log_status"
)

CORPUS = {
    1: "stats avg(bytes), min(bytes), max(bytes) by srcAddr, dstAddr",
    2: "filter protocol=17 | stats count(*) by srcAddr",
    3: "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr | sort bytesTransferred desc | limit 10",
    4: 'filter action="REJECT" | stats count(*) as numRejections by srcAddr | sort numRejections desc | limit 20',
    5: "stats sum(packets) as packetsTransferred by srcAddr, dstAddr | sort packetsTransferred  desc | limit 15",
    6: 'filter isIpv4InSubnet(srcAddr, "192.0.2.0/24") | stats sum(bytes) as bytesTransferred by dstAddr '
    "| sort bytesTransferred desc | limit 15",
    7: 'filter logStatus="SKIPDATA" | stats count(*) by bin(1h) as t | sort t',
    8: "fields @timestamp, srcAddr, dstAddr, srcPort, dstPort, protocol, bytes | filter logStream = 'vpc-flow-logs' "
    "and interfaceId = 'eni-0123456789abcdef0' | sort @timestamp desc | dedup srcAddr, dstAddr, srcPort, dstPort, "
    "protocol | limit 20",
    9: "stats avg(bytes) by dstAddr",
    10: "stats avg(bytes), max(bytes) by dstAddr",
    11: 'filter srcAddr LIKE "192.0.2." | stats sum(bytes) as bytesTransferred by dstAddr | sort bytesTransferred '
    "desc | limit 15",
    12: "filter (dstAddr like 'x.x.x.x' and srcAddr like 'y.y.') | stats sum(bytes) as bytesTransferred by srcAddr, "
    "dstAddr | sort bytesTransferred desc | limit 10",
    13: "filter (dstAddr like 'x.x.x.x' and srcAddr like 'y.y.') or (srcAddr like 'xxx.xx.xx.xx' and dstAddr like "
    "'y.y.') | stats sum(bytes) as bytesTransferred by srcAddr, dstAddr | sort bytesTransferred desc | limit 10",
    14: "filter (srcAddr like 'x.x.x.x' and dstAddr not like 'y.y.') | stats sum(bytes) as bytesTransferred by "
    "srcAddr, dstAddr | sort bytesTransferred desc | limit 10",
    15: "filter (dstAddr like 'x.x.x.x' and srcAddr not like 'y.y.') | stats sum(bytes) as bytesTransferred by "
    "srcAddr, dstAddr | sort bytesTransferred desc | limit 10",
    16: 'filter action="REJECT" | stats count(*) as numRejections by srcAddr | sort numRejections desc',
    17: 'filter action="REJECT" and srcAddr like /^10\\./ | stats count(*) as numRejections by srcAddr '
    "| sort numRejections desc",
    18: 'filter srcAddr = "192.0.2.1" | fields @timestamp, interfaceId, dstAddr, dstPort, action',
    19: 'filter srcAddr = "10.1.1.1" | stats count(*) as numConnections by dstAddr | sort numConnections desc',
    20: "fields @timestamp, @message, @logStream, @log | filter srcAddr like '10.0.0.5' and action = 'REJECT' "
    "| sort @timestamp desc | limit 20",
    21: "stats sum(bytes / 1048576) as Data_Transferred_MB by srcAddr as Source_IP, dstAddr as Destination_IP "
    "| sort Data_Transferred_MB desc | limit 10",
    22: "stats sum(bytes / 1048576) as Traffic_MB by azId as AZ_ID | sort Traffic_MB desc",
    23: "stats sum(bytes / 1048576) as Traffic_MB by flowDirection as Flow_Direction | sort by Bytes_MB desc",
    24: "parse @message /(?<NetworkInterface>eni-.*?) / | display NetworkInterface, @message",
    25: f'parse @message "{STARS_27}" as {KC_27} | sort start desc | limit 2',
    26: f'parse @message "{STARS_29}" as {KC_29} | stats sum(bytes) as Data_Transferred by srcaddr, dstaddr, '
    "flow_direction | sort by Data_Transferred desc | limit 10",
    27: f'parse @message "{STARS_14}" as {SNAKE_14} | filter srcaddr = "35.190.4.8" | limit  15',
    28: f'parse @message "{STARS_14}" as {DEFAULT_14} | fields @timestamp, interfaceId, srcAddr, dstAddr, srcPort, '
    "dstPort, protocol, packets, bytes, action, logStatus | sort @timestamp desc | limit 20",
    29: f'fields @timestamp, @message | parse @message "{STARS_14}" as {SNAKE_14} | filter dstaddr = "10.0.1.21" and '
    "dstport = 22 | sort @timestamp desc | display @timestamp, srcaddr, dstaddr, srcport, dstport, protocol, "
    "action, log_status | limit 50",
    30: "fields @timestamp, @message | sort @timestamp desc | limit 25",
    31: "filter @message like /Exception/ | stats count(*) as exceptionCount by bin(1h) | sort exceptionCount desc",
    32: "fields @message | filter @message not like /Exception/",
    33: "fields @timestamp, server, severity, message | sort @timestamp asc | dedup server",
    34: "fields @timestamp, server, severity, message | sort @timestamp desc | dedup server, severity",
    35: 'filter @type = "REPORT" | stats max(@memorySize / 1000 / 1000) as provisonedMemoryMB, '
    "min(@maxMemoryUsed / 1000 / 1000) as smallestMemoryRequestMB, avg(@maxMemoryUsed / 1000 / 1000) as "
    "avgMemoryUsedMB, max(@maxMemoryUsed / 1000 / 1000) as maxMemoryUsedMB, provisonedMemoryMB - maxMemoryUsedMB "
    "as overProvisionedMB",
    36: 'filter @type = "REPORT" | stats avg(@duration), max(@duration), min(@duration) by bin(5m)',
    37: "stats count(*) by queryType, bin(1h)",
    38: 'filter (eventName="StartInstances" or eventName="StopInstances") and awsRegion="us-east-2"',
    39: 'filter eventName="CreateUser" | fields awsRegion, requestParameters.userName, responseElements.user.arn',
    40: 'filter eventName="UpdateTrail" and ispresent(errorCode) | stats count(*) by errorCode, errorMessage',
    41: 'filter tlsDetails.tlsVersion in [ "TLSv1", "TLSv1.1" ] | stats count(*) as numOutdatedTlsCalls by '
    "userIdentity.accountId, recipientAccountId, eventSource, eventName, awsRegion, tlsDetails.tlsVersion, "
    "tlsDetails.cipherSuite, userAgent | sort eventSource, eventName, awsRegion, tlsDetails.tlsVersion",
    42: "fields @timestamp, @message | stats count(*) as numberOfEvents by `detail-type` | sort numberOfEvents desc",
    43: 'FIELDS @message | PARSE @message "* [*] *" as loggingTime, loggingType, loggingMessage | FILTER loggingType '
    'IN ["ERROR", "INFO"] | DISPLAY loggingMessage, loggingType = "ERROR" as isError',
    44: 'parse @message "user=*, method:*, latency := *" as @user, @method, @latency | stats avg(@latency) by '
    "@method, @user",
    45: "parse @message /user=(?<user2>.*?), method:(?<method2>.*?), latency := (?<latency2>.*?)/ | stats "
    "avg(latency2) by @method2, @user2",
    46: "fields f1, f2, f3 | filter f1 =~ /^(?i)Exception$/",
    47: "fields @timestamp, @message | filter statusCode in [300,400,500]",
    147: 'fields @timestamp, @message | filter Type not in ["foo","bar",1]',
    48: "FIELDS strlen(@message) AS message_length | STATS sum(message_length)/1024/1024 as logs_mb BY bin(5m) | "
    "STATS max(logs_mb) AS peak_ingest_mb, min(logs_mb) AS min_ingest_mb, avg(logs_mb) AS avg_ingest_mb",
    49: "FIELDS strlen(@message) AS message_length | STATS sum(message_length) / 1024 / 1024 AS logs_mb BY BIN(5m) "
    "as @t | STATS max(logs_mb) AS peak_ingest_mb, min(logs_mb) AS min_ingest_mb, avg(logs_mb) AS avg_ingest_mb "
    "BY dateceil(@t, 10m)",
    50: "STATS count_distinct(client_ip) AS session_ips, count(*) AS requests BY session_id, client_platform | FILTER "
    "session_ips > 1 | STATS count(*) AS multiple_ip_sessions, sum(requests) / count(*) AS avg_session_requests "
    "BY client_platform",
    51: "FIELDS @message | STATS SUM(Fault) by Operation | STATS MAX(strlen(@message)) AS MaxMessageSize",
    52: "FIELDS strlen(@message) AS message_length | STATS sum(message_length) AS ingested_bytes BY @logStream | "
    "STATS avg(ingested_bytes) BY bin(5m)",
    53: 'parse @message "url=*" as url | parse url "/api/*/users/*" as apiVersion, userId | display apiVersion, userId',
    54: 'parse @logStream "*/*/*/*" as env, service, instance, shard | stats count(*) by env, service',
    55: 'fields ispresent(graphQLAPIId) as isApi | filter isApi | filter logType = "RequestSummary" | stats count() as '
    "statusCount by statusCode | sort statusCount desc",
    56: "stats min(duration), max(duration), avg(duration) as avgDur by concat(parentType, '/', fieldName) as fieldKey "
    '| filter logType = "Tracing" | sort avgDur desc | limit 10',
    57: 'filter @type = "REPORT" | fields @requestId, @billedDuration | sort by @billedDuration desc',
    58: "fields @timestamp, @message | filter @message like /(?i)(error|failure)/ | filter toMillis(@timestamp) >= "
    "(now() * 1000 - 18000000)",
    59: "fields @timestamp, @message\n# | filter @message like /delay/\n| limit 20",
    60: "stats count(*) by @logStream | limit 100",
}

#: The negative examples and the error each must give.
FAILS = {
    23: "`Bytes_MB` does not exist after stats",
    51: "`@message` does not exist after stats",
    52: r"bin\(\) reads @timestamp",
    56: "`logType` does not exist after stats",
}


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("number", sorted(CORPUS))
def test_corpus_query_parses(number):
    assert parse_insights(CORPUS[number]).commands


@pytest.mark.parametrize("number", sorted(CORPUS))
def test_corpus_query_runs_or_fails_clearly(con, number):
    if number in FAILS:
        with pytest.raises(InsightsQueryError, match=FAILS[number]):
            run(con, CORPUS[number])
    else:
        run(con, CORPUS[number])


def test_1_avg_min_max_by_pair(con):
    result = run(con, CORPUS[1])
    assert list(result.columns) == ["srcAddr", "dstAddr", "avg(bytes)", "min(bytes)", "max(bytes)"]
    assert records(result)[0] == ("10.0.1.5", "8.8.8.8", 150.0, 150, 150)  # natural order: 8 < 10


def test_2_udp_sources(con):
    assert records(run(con, CORPUS[2])) == [("10.0.1.5", 1)]


def test_3_top_transfers(con):
    result = run(con, CORPUS[3])
    assert records(result)[:2] == [("10.0.1.5", "52.94.1.10", 4000), ("10.0.2.7", "52.94.1.10", 2100)]


def test_4_rejections_by_source(con):
    assert sorted(records(run(con, CORPUS[4]))) == [("198.51.100.4", 1), ("203.0.113.9", 1)]


def test_8_log_stream_without_at_matches_nothing_and_says_so(con):
    result = run(con, CORPUS[8])
    assert result.empty
    assert any("`logStream`" in note and "`@logStream`" in note for note in result.attrs["notes"])


def test_21_aliased_keys(con):
    result = run(con, CORPUS[21])
    assert list(result.columns) == ["Source_IP", "Destination_IP", "Data_Transferred_MB"]
    assert records(result)[0][:2] == ("10.0.1.5", "52.94.1.10")


def test_24_regex_parse_of_the_interface(con):
    result = run(con, CORPUS[24] + " | limit 1")
    assert records(result)[0][0] == "eni-bbb"


def test_28_hand_parsed_fields_equal_the_discovered_ones(con):
    parsed = run(con, CORPUS[28])
    discovered = run(
        con,
        "fields @timestamp, interfaceId, srcAddr, dstAddr, srcPort, dstPort, protocol, packets, "
        "bytes, action, logStatus | sort @timestamp desc | limit 20",
    )
    assert [tuple(str(v) if v is not None else "-" for v in row) for row in records(parsed)] == [
        tuple(str(v) if v is not None else "-" for v in row) for row in records(discovered)
    ]


def test_29_numeric_comparison_on_a_parsed_string(con):
    query = CORPUS[29].replace('dstaddr = "10.0.1.21"', 'dstaddr = "10.0.2.7"')
    assert [row[1:5] for row in records(run(con, query))] == [("198.51.100.4", "10.0.2.7", "50002", "22")]


def test_45_grouping_by_a_field_never_created_gives_a_null_group(con):
    result = run(con, CORPUS[45])
    assert records(result) == [(None, None, None)]
    assert any("@method2" in note for note in result.attrs["notes"])


def test_48_two_stats(con):
    result = run(con, CORPUS[48])
    assert list(result.columns) == ["peak_ingest_mb", "min_ingest_mb", "avg_ingest_mb"]
    assert len(result) == 1


def test_49_second_stats_groups_by_a_carried_timestamp(con):
    result = run(con, CORPUS[49])
    assert result.columns[0] == "dateceil(@t, 10m)"
    # 5-minute bins T0, T0+1h, T0+2h, T0+2h05; a boundary is its own ceiling, T0+2h05 rises to T0+2h10
    hours = [(t.value // 10**9 - T0) / 3600 for t in result["dateceil(@t, 10m)"]]
    assert hours == [0, 1, 2, 2 + 10 / 60]


def test_59_commented_out_stage(con):
    assert len(run(con, CORPUS[59])) == 10


def test_60_count_by_log_stream(con):
    assert records(run(con, CORPUS[60])) == [("eni-aaa-all", 4), ("eni-bbb-all", 4), ("eni-ccc-all", 2)]


def test_7_skipdata_per_hour_is_empty_but_shaped(con):
    result = run(con, CORPUS[7])
    assert list(result.columns) == ["t", "count(*)"] and result.empty  # no SKIPDATA records in the fixture
