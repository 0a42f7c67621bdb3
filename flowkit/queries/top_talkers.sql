-- name: top_talkers
-- question: Which source and destination pairs move the most bytes?
-- params: limit: limit = 20
SELECT srcaddr, dstaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows
FROM vpc_flow_logs
WHERE log_status = 'OK'
GROUP BY srcaddr, dstaddr
ORDER BY bytes DESC, srcaddr, dstaddr
LIMIT :limit
