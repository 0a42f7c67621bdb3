-- name: nat_gateway_traffic
-- question: Which instances reach which outside addresses through the NAT gateway (records on its network interface whose pkt-dstaddr lies beyond it)?
-- params: nat_eni: eni_id, vpc_cidr: cidr = 10.32.0.0/16, limit: limit = 200
SELECT pkt_srcaddr, pkt_dstaddr, dstport, count(*) AS flows, sum(bytes) AS bytes
FROM vpc_flow_logs
WHERE interface_id = :nat_eni
  AND pkt_dstaddr <> dstaddr
  AND contains(:vpc_cidr, CAST(pkt_srcaddr AS IPADDRESS))
  AND NOT contains(:vpc_cidr, CAST(pkt_dstaddr AS IPADDRESS))
GROUP BY pkt_srcaddr, pkt_dstaddr, dstport
ORDER BY bytes DESC, pkt_srcaddr, pkt_dstaddr, dstport
LIMIT :limit
