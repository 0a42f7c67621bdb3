-- name: ipv6_traffic
-- question: Which IPv6 flows were recorded (addresses containing a colon), by pair and port?
-- params: limit: limit = 200
SELECT srcaddr, dstaddr, dstport, action, count(*) AS flows, sum(bytes) AS bytes
FROM vpc_flow_logs
WHERE strpos(srcaddr, ':') > 0 OR strpos(dstaddr, ':') > 0
GROUP BY srcaddr, dstaddr, dstport, action
ORDER BY bytes DESC, srcaddr, dstaddr, dstport
LIMIT :limit
