-- name: syn_without_ack
-- question: Which flows sent a SYN but never got a SYN-ACK (tcp-flags SYN without ACK: unanswered or refused connections)?
-- params: limit: limit = 100
SELECT srcaddr, dstaddr, dstport, count(*) AS flows, count_if(action = 'REJECT') AS rejected
FROM vpc_flow_logs
WHERE protocol = 6
  AND bitwise_and(tcp_flags, 2) = 2
  AND bitwise_and(tcp_flags, 16) = 0
GROUP BY srcaddr, dstaddr, dstport
ORDER BY flows DESC, srcaddr, dstaddr, dstport
LIMIT :limit
