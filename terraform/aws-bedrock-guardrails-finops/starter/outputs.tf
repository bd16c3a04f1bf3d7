# Optional: `terraform output -json > labcheck-hints.json` lets labcheck pick these resources
# when more than one lab deployment carries the same tags.

output "function_name" {
  description = "The app Lambda function."
  value       = aws_lambda_function.app.function_name
}

# TODO (guardrail-published): once you have published the guardrail, add outputs "guardrail_id" and
# "guardrail_version".

# TODO (app-uses-tagged-inference-profile): once you have created the inference profile, add an output
# "inference_profile_arn" with its ARN.
