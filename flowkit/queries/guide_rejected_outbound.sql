-- name: guide_rejected_outbound
-- question: Which outbound traffic from the VPC 10.32 was rejected? (the AWS guide's query, verbatim)
-- source: AWS Prescriptive Guidance, "Determining your VPC's security requirements", third Athena example
-- params:
SELECT *              FROM "<vpc_flow_logs_table_name>"  WHERE srcaddr like '10.32%' AND action LIKE 'REJECT'
