# Optional: `terraform output -json > labcheck-hints.json` lets labcheck pick these resources
# when more than one lab deployment carries the same tags.

output "vpc_id" {
  description = "The lab VPC."
  value       = aws_vpc.this.id
}

output "vpc_endpoint_id" {
  description = "The bedrock-runtime interface endpoint."
  value       = aws_vpc_endpoint.bedrock_runtime.id
}

output "function_name" {
  description = "The app Lambda function."
  value       = aws_lambda_function.app.function_name
}

output "log_group_name" {
  description = "The log group that receives Bedrock model invocation logs."
  value       = aws_cloudwatch_log_group.invocations.name
}
