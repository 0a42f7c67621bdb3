-- name: rejected_outbound
-- question: Which traffic leaving the VPC (source address inside its CIDR) was rejected?
-- source: the guide's third Athena example, with real CIDR matching and a limit
-- params: vpc_cidr: cidr = 10.32.0.0/16, limit: limit = 1000
SELECT *
FROM vpc_flow_logs
WHERE contains(:vpc_cidr, CAST(srcaddr AS IPADDRESS))
  AND action = 'REJECT'
ORDER BY start, interface_id, srcaddr, dstaddr, dstport
LIMIT :limit
