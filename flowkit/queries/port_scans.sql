-- name: port_scans
-- question: Which sources contacted many different destination ports (a port scan)?
-- params: min_ports: int = 20, limit: limit = 50
SELECT srcaddr, count(DISTINCT dstport) AS ports, count(DISTINCT dstaddr) AS targets, count(*) AS flows,
       count_if(action = 'REJECT') AS rejected
FROM vpc_flow_logs
WHERE log_status = 'OK'
GROUP BY srcaddr
HAVING count(DISTINCT dstport) >= :min_ports
ORDER BY ports DESC, srcaddr
LIMIT :limit
