# Optional: `terraform output -json > labcheck-hints.json` lets labcheck pick these resources
# when more than one lab deployment carries the same tags.

output "knowledge_base_id" {
  description = "The lab knowledge base."
  value       = aws_bedrockagent_knowledge_base.kb.id
}

output "data_source_id" {
  description = "The knowledge base's S3 data source."
  value       = aws_bedrockagent_data_source.docs.data_source_id
}

output "docs_bucket" {
  description = "The source bucket; the documents live under docs/."
  value       = aws_s3_bucket.docs.id
}

output "index_admin_principal" {
  description = "OpenSearch track: the principal that created the vector index; pass it to labcheck as extra_data_access_principals."
  value       = local.index_admin
}

output "start_ingestion" {
  description = "Starts a sync of the data source (labcheck's ingestion-complete check grades the latest one)."
  value       = "aws bedrock-agent start-ingestion-job --region ${var.region} --knowledge-base-id ${aws_bedrockagent_knowledge_base.kb.id} --data-source-id ${aws_bedrockagent_data_source.docs.data_source_id}"
}
