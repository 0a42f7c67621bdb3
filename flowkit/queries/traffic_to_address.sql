-- name: traffic_to_address
-- question: Who sends traffic to one address, on which ports, and was it accepted?
-- params: dstaddr: ip = 10.32.0.10, limit: limit = 200
SELECT srcaddr, dstport, protocol, action, count(*) AS flows, sum(bytes) AS bytes
FROM vpc_flow_logs
WHERE dstaddr = :dstaddr
GROUP BY srcaddr, dstport, protocol, action
ORDER BY bytes DESC, srcaddr, dstport
LIMIT :limit
