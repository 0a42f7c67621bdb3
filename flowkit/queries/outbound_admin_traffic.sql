-- name: outbound_admin_traffic
-- question: What admin traffic (destination port below max_port) leaves a network interface from its private IP?
-- source: the guide's first Athena example, with its ENI, IP and limit as parameters
-- params: eni: eni_id = eni-1234567890000000, srcaddr: ip = 10.100.0.10, max_port: port = 1024, limit: limit = 200
SELECT *
FROM vpc_flow_logs
WHERE interface_id = :eni
  AND srcaddr = :srcaddr
  AND dstport < :max_port
LIMIT :limit
