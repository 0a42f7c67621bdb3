-- name: rejected_inbound_by_source
-- question: Which outside sources had traffic into the VPC rejected, how often, and on how many ports?
-- params: vpc_cidr: cidr = 10.32.0.0/16, limit: limit = 50
SELECT srcaddr, count(*) AS rejected, count(DISTINCT dstport) AS ports, count(DISTINCT dstaddr) AS targets
FROM vpc_flow_logs
WHERE action = 'REJECT'
  AND contains(:vpc_cidr, CAST(dstaddr AS IPADDRESS))
  AND NOT contains(:vpc_cidr, CAST(srcaddr AS IPADDRESS))
GROUP BY srcaddr
ORDER BY rejected DESC, srcaddr
LIMIT :limit
