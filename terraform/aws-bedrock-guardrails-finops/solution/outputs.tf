# Optional: `terraform output -json > labcheck-hints.json` lets labcheck pick these resources
# when more than one lab deployment carries the same tags.

output "function_name" {
  description = "The app Lambda function."
  value       = aws_lambda_function.app.function_name
}

output "guardrail_id" {
  description = "The lab guardrail."
  value       = aws_bedrock_guardrail.this.guardrail_id
}

output "guardrail_version" {
  description = "The published guardrail version the app pins."
  value       = aws_bedrock_guardrail_version.this.version
}

output "inference_profile_arn" {
  description = "The application inference profile the app calls."
  value       = aws_bedrock_inference_profile.this.arn
}

output "alerts_topic_arn" {
  description = "The SNS topic of the budget and alarm notifications."
  value       = aws_sns_topic.alerts.arn
}

output "budget_name" {
  description = "The Bedrock budget."
  value       = aws_budgets_budget.bedrock.name
}
