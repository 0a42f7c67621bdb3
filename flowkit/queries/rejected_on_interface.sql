-- name: rejected_on_interface
-- question: On which destination ports and protocols was traffic rejected on one network interface, and how often?
-- params: eni: eni_id = eni-0123456789000000, limit: limit = 20
SELECT dstport, protocol, count(*) AS events
FROM vpc_flow_logs
WHERE interface_id = :eni AND action = 'REJECT'
GROUP BY dstport, protocol
ORDER BY events DESC, dstport, protocol
LIMIT :limit
