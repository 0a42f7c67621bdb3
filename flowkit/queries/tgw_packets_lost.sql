-- name: tgw_packets_lost
-- question: Which transit gateway attachments lose packets, and why (no route, blackhole route, MTU exceeded, TTL expired)?
-- params:
SELECT tgw_attachment_id, count(*) AS flows,
       sum(packets_lost_no_route) AS no_route, sum(packets_lost_blackhole) AS blackhole,
       sum(packets_lost_mtu_exceeded) AS mtu_exceeded, sum(packets_lost_ttl_expired) AS ttl_expired,
       sum(packets_lost_no_route + packets_lost_blackhole + packets_lost_mtu_exceeded + packets_lost_ttl_expired) AS lost
FROM vpc_flow_logs
WHERE packets_lost_no_route > 0 OR packets_lost_blackhole > 0 OR packets_lost_mtu_exceeded > 0
   OR packets_lost_ttl_expired > 0
GROUP BY tgw_attachment_id
ORDER BY lost DESC, tgw_attachment_id
