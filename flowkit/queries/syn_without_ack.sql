-- name: syn_without_ack
-- question: Which TCP connection attempts (tcp-flags SYN) never got a SYN-ACK back (refused, dropped or unanswered)?
-- params: limit: limit = 100
WITH syn AS (
  SELECT srcaddr, dstaddr, srcport, dstport, action
  FROM vpc_flow_logs
  WHERE protocol = 6 AND bitwise_and(tcp_flags, 18) = 2
),
syn_ack AS (
  SELECT DISTINCT srcaddr, dstaddr, srcport, dstport
  FROM vpc_flow_logs
  WHERE protocol = 6 AND bitwise_and(tcp_flags, 18) = 18
)
SELECT s.srcaddr, s.dstaddr, s.dstport, count(*) AS attempts, count_if(s.action = 'REJECT') AS rejected
FROM syn s
LEFT JOIN syn_ack a
  ON a.srcaddr = s.dstaddr AND a.dstaddr = s.srcaddr AND a.srcport = s.dstport AND a.dstport = s.srcport
WHERE a.srcaddr IS NULL
GROUP BY s.srcaddr, s.dstaddr, s.dstport
ORDER BY attempts DESC, s.srcaddr, s.dstaddr, s.dstport
LIMIT :limit
