-- name: guide_top_external_destinations
-- question: Which external addresses and ports receive the most outbound traffic from the VPC 10.32? (the AWS guide's query, verbatim)
-- source: AWS Prescriptive Guidance, "Determining your VPC's security requirements", second Athena example
-- params:
SELECT dstport, dstaddr, count(*) AS count FROM "<vpc_flow_logs_table_name>" WHERE dstaddr not like '10.32%' AND interface_id = 'eni-1234567890000000' GROUP BY dstport, dstaddr ORDER BY count desc LIMIT 200;
