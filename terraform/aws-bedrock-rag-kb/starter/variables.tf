variable "region" {
  description = "The lab Region. The embedding model must be offered on demand in it."
  type        = string
  default     = "eu-central-1"
}

variable "learner_id" {
  description = "Your learner id. Only needed when several learners share one account."
  type        = string
  default     = ""
}

variable "vector_store" {
  description = "Where the vectors live: \"opensearch\" (OpenSearch Serverless, billed per OCU-hour even when idle) or \"s3vectors\" (S3 Vectors, pay per use)."
  type        = string
  default     = "opensearch"

  validation {
    condition     = contains(["opensearch", "s3vectors"], var.vector_store)
    error_message = "vector_store must be \"opensearch\" or \"s3vectors\"."
  }
}

variable "embedding_model_id" {
  description = "The embedding model of the knowledge base (one of the lab's embedding_model_ids)."
  type        = string
  default     = "amazon.titan-embed-text-v2:0"
}

variable "embedding_dimensions" {
  description = "Vector size the embedding model produces; the vector index must use the same."
  type        = number
  default     = 1024
}

variable "bootstrap_index_access" {
  description = "OpenSearch track, first apply only: lets this Terraform run reach the private collection to create the vector index. Apply again with false."
  type        = bool
  default     = false
}
