-- name: bytes_over_time
-- question: How many bytes, packets and flows were recorded in each hour?
-- params:
SELECT date_trunc('hour', from_unixtime(start)) AS hour_start,
       sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows,
       approx_distinct(interface_id) AS interfaces
FROM vpc_flow_logs
WHERE log_status = 'OK'
GROUP BY 1
ORDER BY 1
