# Optional: `terraform output -json > labcheck-hints.json` lets labcheck pick these resources
# when more than one lab deployment carries the same tags.

output "vpc_id" {
  description = "The lab VPC."
  value       = aws_vpc.this.id
}

output "function_name" {
  description = "The app Lambda function."
  value       = aws_lambda_function.app.function_name
}

# TODO (bedrock-runtime-interface-endpoint): once you have created the endpoint, add an output
# "vpc_endpoint_id" with its id.

# TODO (invocation-logs-encrypted-cmk): once you have created the invocation log group, add an output
# "log_group_name" with its name.
