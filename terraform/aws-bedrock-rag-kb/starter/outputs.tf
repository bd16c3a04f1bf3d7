# Optional: `terraform output -json > labcheck-hints.json` lets labcheck pick these resources
# when more than one lab deployment carries the same tags.

output "docs_bucket" {
  description = "The source bucket; the documents live under docs/."
  value       = aws_s3_bucket.docs.id
}

output "index_admin_principal" {
  description = "OpenSearch track: the principal that creates the vector index; pass it to labcheck as extra_data_access_principals."
  value       = local.index_admin
}

# TODO (kb-active-vector): once you have created the knowledge base, add an output
# "knowledge_base_id" with its id.

# TODO (ingestion-complete): once you have created the data source, add an output "start_ingestion"
# with the start-ingestion-job command for it.
