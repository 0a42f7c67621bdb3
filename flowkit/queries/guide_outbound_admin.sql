-- name: guide_outbound_admin
-- question: What admin traffic (destination port below 1024) leaves the network interface with IP 10.100.0.10? (the AWS guide's query, verbatim)
-- source: AWS Prescriptive Guidance, "Determining your VPC's security requirements", first Athena example
-- params:
SELECT * FROM "<vpc_flow_logs_table_name>" WHERE interface_id = 'eni-1234567890000000' AND srcaddr LIKE '10.100.0.10' AND dstport < 1024 LIMIT 200;
