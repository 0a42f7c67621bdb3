-- name: daily_rejected_by_weekday
-- question: How many TCP connections were rejected on each day, and which weekday was it (day_of_week: 1 Monday to 7 Sunday)?
-- params:
SELECT date, day_of_week(date) AS weekday, count(*) AS rejected
FROM vpc_flow_logs
WHERE action = 'REJECT' AND protocol = 6
GROUP BY date
ORDER BY date
