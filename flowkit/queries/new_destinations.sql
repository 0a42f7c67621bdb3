-- name: new_destinations
-- question: Which outside destinations did the VPC contact from a point in time on that it had not contacted before?
-- params: since: timestamp, vpc_cidr: cidr = 10.32.0.0/16, limit: limit = 200
WITH outbound AS (
  SELECT dstaddr, dstport, start, bytes
  FROM vpc_flow_logs
  WHERE contains(:vpc_cidr, CAST(srcaddr AS IPADDRESS))
    AND NOT contains(:vpc_cidr, CAST(dstaddr AS IPADDRESS))
    AND action = 'ACCEPT'
),
baseline AS (
  SELECT DISTINCT dstaddr FROM outbound WHERE start < :since
)
SELECT o.dstaddr, min(o.dstport) AS first_port, count(*) AS flows, sum(o.bytes) AS bytes,
       to_iso8601(from_unixtime(min(o.start))) AS first_seen
FROM outbound o
LEFT JOIN baseline b ON o.dstaddr = b.dstaddr
WHERE o.start >= :since
  AND b.dstaddr IS NULL
GROUP BY o.dstaddr
ORDER BY flows DESC, o.dstaddr
LIMIT :limit
