-- name: aws_service_traffic
-- question: How much traffic goes to and comes from AWS services (pkt-dst-aws-service / pkt-src-aws-service, v5)?
-- params:
SELECT flow_direction,
       coalesce(pkt_dst_aws_service, pkt_src_aws_service) AS aws_service,
       count(*) AS flows, sum(bytes) AS bytes
FROM vpc_flow_logs
WHERE pkt_dst_aws_service IS NOT NULL OR pkt_src_aws_service IS NOT NULL
GROUP BY 1, 2
ORDER BY bytes DESC, 1, 2
