-- name: tgw_traffic_between_attachments
-- question: Which transit gateway attachments send the most traffic to which (each flow counted once, where it enters the transit gateway)?
-- params: limit: limit = 20
SELECT tgw_attachment_id AS from_attachment, coalesce(tgw_pair_attachment_id, '-') AS to_attachment,
       count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes
FROM vpc_flow_logs
WHERE log_status = 'OK' AND flow_direction = 'ingress'
GROUP BY 1, 2
ORDER BY bytes DESC, from_attachment, to_attachment
LIMIT :limit
