# Lab aws-bedrock-rag-kb: starter.
#
# Goal: a Bedrock knowledge base answers from the docs/ prefix of a private, TLS-only bucket encrypted
# with your own rotating key, through a least-privilege role, into a vector store you own:
# OpenSearch Serverless (var.vector_store = "opensearch", the default) or S3 Vectors ("s3vectors", the
# cheap track). labcheck skips the checks of the track you do not use.
#
# The bucket and its sample documents are given. Each "TODO (<check id>)" below marks a place where
# you add a resource or an argument; the check id is the name labcheck reports for it.
#
# OpenSearch track: the vector index is created inside the collection by the opensearch provider, a
# data-plane call that a private collection refuses. Apply twice: first with
# -var bootstrap_index_access=true, then again without it (and with -refresh=false).

provider "aws" {
  region = var.region

  # labcheck finds the lab's knowledge base by these tags. Keep them.
  default_tags {
    tags = {
      "labcheck-lab"     = "aws-bedrock-rag-kb"
      "labcheck-learner" = var.learner_id
    }
  }
}

# Talks to the collection's own endpoint to create the vector index (OpenSearch track only).
provider "opensearch" {
  url         = local.collection_endpoint
  healthcheck = false
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

# The role behind this Terraform run (not its session): it creates the vector index.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  name       = var.learner_id == "" ? "labcheck-rag" : "labcheck-rag-${var.learner_id}"
  account_id = data.aws_caller_identity.current.account_id
  use_oss    = var.vector_store == "opensearch"
  use_s3v    = var.vector_store == "s3vectors"

  # Foundation-model ARNs have an empty account field.
  embedding_model_arn = "arn:aws:bedrock:${var.region}::foundation-model/${var.embedding_model_id}"
  docs_prefix         = "docs/"
  bucket_name         = "${local.name}-docs-${local.account_id}"
  collection          = local.name
  vector_index        = "bedrock-knowledge-base-index"
  index_admin         = data.aws_iam_session_context.current.issuer_arn

  # TODO (oss-collection-encrypted-cmk): once the collection exists, point the opensearch provider at
  # its collection_endpoint (OpenSearch track only).
  collection_endpoint = "https://unused.invalid"
}

# ---------------------------------------------------------------------------------------------------
# The customer-managed key
# ---------------------------------------------------------------------------------------------------

# TODO (source-bucket-encrypted-cmk): create a KMS key with automatic rotation and an alias. Its key
# policy lets the account administer it and the knowledge-base role use it (Decrypt, GenerateDataKey).
# OpenSearch track: also let OpenSearch Serverless use it on behalf of this account (condition on
# kms:ViaService = aoss.<region>.amazonaws.com). S3 Vectors track: let the service principal
# indexing.s3vectors.amazonaws.com decrypt with it, for this account only.

# ---------------------------------------------------------------------------------------------------
# The source bucket and sample documents (given).
# ---------------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "docs" {
  bucket        = local.bucket_name
  force_destroy = true
}

# TODO (source-bucket-encrypted-cmk): make your key the bucket's default encryption (SSE-KMS, with an
# S3 Bucket Key to cut KMS requests).

# TODO (source-bucket-private-tls): block every kind of public access to the bucket (all four
# settings), and give it a bucket policy that denies every request made without TLS. Do not restrict
# it to a VPC endpoint: Bedrock reads the bucket from the service side.

locals {
  sample_docs = {
    "returns-policy.md"  = "# Returns\n\nItems can be returned within 30 days with the receipt. Refunds go to the original payment method.\n"
    "shipping-policy.md" = "# Shipping\n\nStandard shipping takes 3-5 working days. Express shipping takes 1 working day and costs 9 EUR.\n"
    "warranty.md"        = "# Warranty\n\nElectronics carry a two-year warranty. Batteries are covered for one year.\n"
  }
}

resource "aws_s3_object" "docs" {
  for_each = local.sample_docs

  bucket       = aws_s3_bucket.docs.id
  key          = "${local.docs_prefix}${each.key}"
  content      = each.value
  content_type = "text/markdown"
}

# ---------------------------------------------------------------------------------------------------
# The knowledge-base role
# ---------------------------------------------------------------------------------------------------

# TODO (kb-role-trust-confused-deputy): create the role the knowledge base uses. Trust only the
# bedrock.amazonaws.com service, and only when the request comes from this account
# (aws:SourceAccount) and from one of its knowledge bases in this Region (ARN pattern
# arn:aws:bedrock:<region>:<account>:knowledge-base/*).

# TODO (kb-role-least-privilege): give the role an inline policy with exactly what ingestion and
# retrieval need: bedrock:InvokeModel on local.embedding_model_arn; s3:ListBucket on the bucket and
# s3:GetObject under local.docs_prefix only; kms:Decrypt and kms:GenerateDataKey on your key; and
# either aoss:APIAccessAll on the collection or the s3vectors vector actions on the index. No
# wildcards over a whole service, no *FullAccess managed policies.

# ---------------------------------------------------------------------------------------------------
# Vector store, OpenSearch Serverless track (count = local.use_oss ? 1 : 0 on each resource)
# ---------------------------------------------------------------------------------------------------

# TODO (oss-collection-encrypted-cmk): create an encryption security policy for
# "collection/${local.collection}" that uses your key instead of an AWS-owned one, then the
# collection itself: a vector search collection without standby replicas (the provider's defaults
# are a time-series collection with standby replicas, which doubles the bill). The policy must exist
# before the collection: encryption cannot change afterwards.

# TODO (oss-network-private): create a network security policy for the collection and its dashboard
# that allows no public access and lets the Bedrock service in. For the first apply only
# (var.bootstrap_index_access), add a second rule-set that opens the collection so this Terraform
# run can create the index.

# TODO (oss-data-access-least-privilege): create a data-access policy that grants the knowledge-base
# role aoss:DescribeIndex, aoss:ReadDocument and aoss:WriteDocument on "index/${local.collection}/*"
# and nothing else, plus a rule-set that lets local.index_admin create the index (declare that
# principal to labcheck as extra_data_access_principals).

# TODO (kb-active-vector): create the vector index with the opensearch provider (resource
# opensearch_index): k-NN on, a knn_vector field of var.embedding_dimensions dimensions, a text field
# AMAZON_BEDROCK_TEXT_CHUNK and a non-indexed text field AMAZON_BEDROCK_METADATA.

# ---------------------------------------------------------------------------------------------------
# Vector store, S3 Vectors track (count = local.use_s3v ? 1 : 0 on each resource)
# ---------------------------------------------------------------------------------------------------

# TODO (s3vectors-encrypted-cmk): create a vector bucket encrypted with your key (it cannot change
# later) and an index of 32-bit floats with var.embedding_dimensions dimensions and cosine distance.
# Mark AMAZON_BEDROCK_TEXT and AMAZON_BEDROCK_METADATA as non-filterable metadata.

# ---------------------------------------------------------------------------------------------------
# The knowledge base and its data source
# ---------------------------------------------------------------------------------------------------

# TODO (kb-active-vector): create a vector knowledge base with the role above and
# local.embedding_model_arn, storing its vectors in the collection (with the index name and the
# vector, text and metadata field names) or in the S3 Vectors index, depending on var.vector_store.

# TODO (data-source-s3-scoped): create an S3 data source of the knowledge base that reads only
# local.docs_prefix of the bucket and removes its vectors when it is deleted (the default keeps
# them).

# TODO (data-source-transient-cmk): have the data source encrypt its transient ingestion data with
# your key.

# TODO (chunking-explicit): choose the data source's chunking yourself, e.g. fixed-size chunks of 300
# tokens with 20 % overlap. Changing it later replaces the data source.

# TODO (ingestion-complete): nothing in Terraform starts a sync. After the apply, run
#   aws bedrock-agent start-ingestion-job --knowledge-base-id <id> --data-source-id <id>
# and wait until it is COMPLETE.
