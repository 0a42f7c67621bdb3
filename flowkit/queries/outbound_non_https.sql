-- name: outbound_non_https
-- question: Which accepted connections leave the VPC on a port other than HTTPS (443)?
-- params: vpc_cidr: cidr = 10.32.0.0/16, https_port: port = 443, limit: limit = 200
SELECT srcaddr, dstaddr, dstport, protocol, count(*) AS flows, sum(bytes) AS bytes
FROM vpc_flow_logs
WHERE contains(:vpc_cidr, CAST(srcaddr AS IPADDRESS))
  AND NOT contains(:vpc_cidr, CAST(dstaddr AS IPADDRESS))
  AND action = 'ACCEPT'
  AND dstport <> :https_port
GROUP BY srcaddr, dstaddr, dstport, protocol
ORDER BY flows DESC, srcaddr, dstaddr, dstport
LIMIT :limit
