-- name: logging_gaps
-- question: Which network interfaces had intervals with no data (NODATA) or skipped records (SKIPDATA)?
-- params:
SELECT interface_id, log_status, count(*) AS records,
       to_iso8601(from_unixtime(min(start))) AS first_start, to_iso8601(from_unixtime(max("end"))) AS last_end
FROM vpc_flow_logs
WHERE log_status IN ('NODATA', 'SKIPDATA')
GROUP BY interface_id, log_status
ORDER BY records DESC, interface_id, log_status
