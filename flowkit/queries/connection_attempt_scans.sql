-- name: connection_attempt_scans
-- question: Which sources made connection attempts (rejected, or TCP SYN without SYN-ACK) to many different ports, as a port scan does, leaving out the responses that make busy servers look like scanners?
-- params: min_ports: int = 20, limit: limit = 50
SELECT srcaddr, count(DISTINCT dstport) AS ports, count(DISTINCT dstaddr) AS targets, count(*) AS flows,
       count_if(action = 'REJECT') AS rejected
FROM vpc_flow_logs
WHERE log_status = 'OK'
  AND (action = 'REJECT' OR (protocol = 6 AND bitwise_and(tcp_flags, 18) = 2))
GROUP BY srcaddr
HAVING count(DISTINCT dstport) >= :min_ports
ORDER BY ports DESC, srcaddr
LIMIT :limit
