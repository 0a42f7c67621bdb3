-- name: top_external_destinations
-- question: Which addresses outside the VPC, and on which ports, receive the most flows from a network interface?
-- source: the guide's second Athena example, with real CIDR matching instead of the '10.32%' string prefix
-- params: eni: eni_id = eni-1234567890000000, vpc_cidr: cidr = 10.32.0.0/16, limit: limit = 200
SELECT dstport, dstaddr, count(*) AS count
FROM vpc_flow_logs
WHERE NOT contains(:vpc_cidr, CAST(dstaddr AS IPADDRESS))
  AND interface_id = :eni
GROUP BY dstport, dstaddr
ORDER BY count DESC, dstport, dstaddr
LIMIT :limit
