-- name: egress_by_port
-- question: On which destination ports and protocols does traffic leave the VPC, and how much?
-- params: vpc_cidr: cidr = 10.32.0.0/16, limit: limit = 100
SELECT protocol, dstport, count(*) AS flows, sum(bytes) AS bytes, count(DISTINCT dstaddr) AS destinations
FROM vpc_flow_logs
WHERE contains(:vpc_cidr, CAST(srcaddr AS IPADDRESS))
  AND NOT contains(:vpc_cidr, CAST(dstaddr AS IPADDRESS))
  AND action = 'ACCEPT'
GROUP BY protocol, dstport
ORDER BY bytes DESC, protocol, dstport
LIMIT :limit
