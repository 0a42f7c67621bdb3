-- name: traffic_by_interface
-- question: How much traffic, accepted and rejected, does each network interface record?
-- params:
SELECT interface_id, count(*) AS flows, count_if(action = 'ACCEPT') AS accepted, count_if(action = 'REJECT') AS rejected,
       sum(bytes) AS bytes
FROM vpc_flow_logs
WHERE log_status = 'OK'
GROUP BY interface_id
ORDER BY bytes DESC, interface_id
