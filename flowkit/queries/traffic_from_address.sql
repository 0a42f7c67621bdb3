-- name: traffic_from_address
-- question: Where does one address send traffic (destinations, ports, bytes)?
-- params: srcaddr: ip = 10.32.0.10, limit: limit = 200
SELECT dstaddr, dstport, protocol, action, count(*) AS flows, sum(bytes) AS bytes
FROM vpc_flow_logs
WHERE srcaddr = :srcaddr
GROUP BY dstaddr, dstport, protocol, action
ORDER BY bytes DESC, dstaddr, dstport
LIMIT :limit
