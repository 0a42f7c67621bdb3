-- name: reject_reasons
-- question: Why was traffic rejected (reject-reason, v8: BPA is VPC Block Public Access)?
-- params:
SELECT coalesce(reject_reason, '-') AS reject_reason, count(*) AS flows, sum(bytes) AS bytes,
       count(DISTINCT interface_id) AS interfaces
FROM vpc_flow_logs
WHERE action = 'REJECT'
GROUP BY 1
ORDER BY flows DESC, 1
