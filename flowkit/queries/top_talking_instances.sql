-- name: top_talking_instances
-- question: Which EC2 instances (instance-id, v3) send and receive the most bytes?
-- params: limit: limit = 20
SELECT instance_id, count(DISTINCT interface_id) AS interfaces, sum(bytes) AS bytes, count(*) AS flows
FROM vpc_flow_logs
WHERE instance_id IS NOT NULL
GROUP BY instance_id
ORDER BY bytes DESC, instance_id
LIMIT :limit
