-- name: ssh_rdp_from_public_internet
-- question: Who on the public internet (outside the VPC and outside private address space) tried SSH (22) or RDP (3389) into the VPC, and was it accepted?
-- params: vpc_cidr: cidr = 10.32.0.0/16, limit: limit = 200
SELECT srcaddr, dstaddr, dstport, action, count(*) AS flows
FROM vpc_flow_logs
WHERE protocol = 6
  AND dstport IN (22, 3389)
  AND contains(:vpc_cidr, CAST(dstaddr AS IPADDRESS))
  AND NOT contains(:vpc_cidr, CAST(srcaddr AS IPADDRESS))
  AND NOT contains('10.0.0.0/8', CAST(srcaddr AS IPADDRESS))
  AND NOT contains('172.16.0.0/12', CAST(srcaddr AS IPADDRESS))
  AND NOT contains('192.168.0.0/16', CAST(srcaddr AS IPADDRESS))
  AND NOT contains('fc00::/7', CAST(srcaddr AS IPADDRESS))
GROUP BY srcaddr, dstaddr, dstport, action
ORDER BY flows DESC, srcaddr, dstaddr, dstport, action
LIMIT :limit
