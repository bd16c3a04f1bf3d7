# Lab aws-bedrock-rag-kb: reference solution.
#
# A Bedrock vector knowledge base ingests the docs/ prefix of a private, TLS-only S3 bucket encrypted
# with a rotating customer-managed key, through a data source with explicit chunking, transient-data
# encryption and DELETE data deletion. The vectors live in a vector store you own, chosen by
# var.vector_store: an OpenSearch Serverless VECTORSEARCH collection (default) or an S3 Vectors index.
#
# OpenSearch track: the vector index is created inside the collection by the opensearch provider, a
# data-plane call the private network policy refuses. Apply twice:
#   terraform apply -var bootstrap_index_access=true     # creates everything, index included
#   terraform apply -refresh=false                       # takes the temporary public access away

provider "aws" {
  region = var.region

  # labcheck finds the lab's knowledge base by these tags.
  default_tags {
    tags = {
      "labcheck-lab"     = "aws-bedrock-rag-kb"
      "labcheck-learner" = var.learner_id
    }
  }
}

provider "opensearch" {
  url         = local.collection_endpoint
  healthcheck = false
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

# The role behind this Terraform run (not its session), for the index-admin data-access rule.
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

  collection_endpoint = local.use_oss ? aws_opensearchserverless_collection.kb[0].collection_endpoint : "https://unused.invalid"
}

# ---------------------------------------------------------------------------------------------------
# The customer-managed key: source bucket, transient ingestion data and the vector store.
# ---------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "KnowledgeBaseRole"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.kb.arn]
    }
  }

  # OpenSearch Serverless uses the key through grants made on behalf of callers in this account.
  dynamic "statement" {
    for_each = local.use_oss ? [1] : []

    content {
      sid       = "OpenSearchServerless"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = ["*"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["aoss.${var.region}.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }
    }
  }

  # S3 Vectors indexes vectors in the background with its own service principal.
  dynamic "statement" {
    for_each = local.use_s3v ? [1] : []

    content {
      sid       = "S3VectorsIndexing"
      actions   = ["kms:Decrypt"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["indexing.s3vectors.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

resource "aws_kms_key" "kb" {
  description             = "${local.name}: knowledge base documents, ingestion data and vectors"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "kb" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.kb.key_id
}

# ---------------------------------------------------------------------------------------------------
# The source bucket: CMK by default, no public access, TLS only.
# ---------------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "docs" {
  bucket        = local.bucket_name
  force_destroy = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "docs" {
  bucket = aws_s3_bucket.docs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.kb.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "docs" {
  bucket = aws_s3_bucket.docs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Do not pin the bucket to a VPC endpoint (aws:SourceVpce): Bedrock reads it from the service side.
data "aws_iam_policy_document" "docs_bucket" {
  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.docs.arn, "${aws_s3_bucket.docs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "docs" {
  bucket = aws_s3_bucket.docs.id
  policy = data.aws_iam_policy_document.docs_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.docs]
}

# A few sample documents to ingest.
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

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.docs]
}

# ---------------------------------------------------------------------------------------------------
# The knowledge-base role: trusted by Bedrock for this account's knowledge bases, scoped to the lab.
# ---------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "kb_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["bedrock.amazonaws.com"]
    }

    # Confused-deputy protection: only Bedrock acting for this account's knowledge bases.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:bedrock:${var.region}:${local.account_id}:knowledge-base/*"]
    }
  }
}

resource "aws_iam_role" "kb" {
  name               = "${local.name}-kb"
  assume_role_policy = data.aws_iam_policy_document.kb_trust.json
}

data "aws_iam_policy_document" "kb" {
  statement {
    sid       = "EmbeddingModel"
    actions   = ["bedrock:InvokeModel"]
    resources = [local.embedding_model_arn]
  }

  statement {
    sid       = "ListDocsBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.docs.arn]
  }

  statement {
    sid       = "ReadDocsPrefix"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.docs.arn}/${local.docs_prefix}*"]
  }

  statement {
    sid       = "UseLabKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.kb.arn]
  }

  dynamic "statement" {
    for_each = local.use_oss ? [1] : []

    content {
      sid       = "Collection"
      actions   = ["aoss:APIAccessAll"]
      resources = [aws_opensearchserverless_collection.kb[0].arn]
    }
  }

  dynamic "statement" {
    for_each = local.use_s3v ? [1] : []

    content {
      sid = "VectorIndex"
      actions = [
        "s3vectors:PutVectors",
        "s3vectors:GetVectors",
        "s3vectors:DeleteVectors",
        "s3vectors:QueryVectors",
        "s3vectors:GetIndex",
      ]
      resources = [aws_s3vectors_index.kb[0].index_arn]
    }
  }
}

resource "aws_iam_role_policy" "kb" {
  name   = "knowledge-base"
  role   = aws_iam_role.kb.id
  policy = data.aws_iam_policy_document.kb.json
}

# ---------------------------------------------------------------------------------------------------
# Vector store, OpenSearch Serverless track: CMK, private network, data access for the KB role only.
# ---------------------------------------------------------------------------------------------------

locals {
  collection_rules = [
    { ResourceType = "collection", Resource = ["collection/${local.collection}"] },
    { ResourceType = "dashboard", Resource = ["collection/${local.collection}"] },
  ]

  encryption_policy = {
    Rules       = [{ ResourceType = "collection", Resource = ["collection/${local.collection}"] }]
    AWSOwnedKey = false
    KmsARN      = aws_kms_key.kb.arn
  }

  # No public access; the Bedrock service may reach the collection.
  private_network = {
    Rules           = local.collection_rules
    AllowFromPublic = false
    SourceServices  = ["bedrock.amazonaws.com"]
  }

  # First apply only: lets this Terraform run create the vector index over the public endpoint.
  bootstrap_network = {
    Rules           = [{ ResourceType = "collection", Resource = ["collection/${local.collection}"] }]
    AllowFromPublic = true
  }

  kb_data_access = {
    Description = "The knowledge base reads and writes vectors"
    Principal   = [aws_iam_role.kb.arn]
    Rules = [
      {
        ResourceType = "index"
        Resource     = ["index/${local.collection}/*"]
        Permission   = ["aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument"]
      },
    ]
  }

  # Declare this principal to labcheck: --input extra_data_access_principals=<output index_admin_principal>.
  admin_data_access = {
    Description = "Terraform creates and deletes the vector index"
    Principal   = [local.index_admin]
    Rules = [
      {
        ResourceType = "collection"
        Resource     = ["collection/${local.collection}"]
        Permission   = ["aoss:DescribeCollectionItems"]
      },
      {
        ResourceType = "index"
        Resource     = ["index/${local.collection}/*"]
        Permission   = ["aoss:CreateIndex", "aoss:DescribeIndex", "aoss:UpdateIndex", "aoss:DeleteIndex"]
      },
    ]
  }
}

resource "aws_opensearchserverless_security_policy" "encryption" {
  count = local.use_oss ? 1 : 0

  name   = "${local.collection}-enc"
  type   = "encryption"
  policy = jsonencode(local.encryption_policy)
}

resource "aws_opensearchserverless_security_policy" "network" {
  count = local.use_oss ? 1 : 0

  name   = "${local.collection}-net"
  type   = "network"
  policy = jsonencode(concat([local.private_network], var.bootstrap_index_access ? [local.bootstrap_network] : []))
}

resource "aws_opensearchserverless_access_policy" "data" {
  count = local.use_oss ? 1 : 0

  name   = "${local.collection}-data"
  type   = "data"
  policy = jsonencode([local.kb_data_access, local.admin_data_access])
}

resource "aws_opensearchserverless_collection" "kb" {
  count = local.use_oss ? 1 : 0

  name             = local.collection
  type             = "VECTORSEARCH" # the provider default is TIMESERIES
  standby_replicas = "DISABLED"     # the provider default is ENABLED, which doubles the OCUs

  # Encryption is fixed when the collection is created: the policy must exist first.
  depends_on = [aws_opensearchserverless_security_policy.encryption, aws_opensearchserverless_security_policy.network]
}

resource "opensearch_index" "kb" {
  count = local.use_oss ? 1 : 0

  name                           = local.vector_index
  index_knn                      = true
  index_knn_algo_param_ef_search = "512"
  number_of_shards               = "2"
  number_of_replicas             = "0"
  force_destroy                  = true

  mappings = jsonencode({
    properties = {
      "bedrock-knowledge-base-default-vector" = {
        type      = "knn_vector"
        dimension = var.embedding_dimensions
        method = {
          name       = "hnsw"
          engine     = "faiss"
          space_type = "l2"
          parameters = { m = 16, ef_construction = 512 }
        }
      }
      AMAZON_BEDROCK_TEXT_CHUNK = { type = "text", index = true }
      AMAZON_BEDROCK_METADATA   = { type = "text", index = false }
    }
  })

  depends_on = [aws_opensearchserverless_access_policy.data, aws_opensearchserverless_security_policy.network]
}

# ---------------------------------------------------------------------------------------------------
# Vector store, S3 Vectors track: a CMK-encrypted vector bucket and an index of the model's dimension.
# ---------------------------------------------------------------------------------------------------

resource "aws_s3vectors_vector_bucket" "kb" {
  count = local.use_s3v ? 1 : 0

  vector_bucket_name = "${local.name}-vectors-${local.account_id}"
  force_destroy      = true

  encryption_configuration {
    sse_type    = "aws:kms"
    kms_key_arn = aws_kms_key.kb.arn
  }
}

resource "aws_s3vectors_index" "kb" {
  count = local.use_s3v ? 1 : 0

  vector_bucket_name = aws_s3vectors_vector_bucket.kb[0].vector_bucket_name
  index_name         = local.vector_index
  data_type          = "float32"
  dimension          = var.embedding_dimensions
  distance_metric    = "cosine"

  # Bedrock stores the chunk text and its metadata beside each vector; they need not be filterable.
  metadata_configuration {
    non_filterable_metadata_keys = ["AMAZON_BEDROCK_TEXT", "AMAZON_BEDROCK_METADATA"]
  }
}

# ---------------------------------------------------------------------------------------------------
# The knowledge base and its data source.
# ---------------------------------------------------------------------------------------------------

resource "aws_bedrockagent_knowledge_base" "kb" {
  name     = local.name
  role_arn = aws_iam_role.kb.arn

  knowledge_base_configuration {
    type = "VECTOR"

    vector_knowledge_base_configuration {
      embedding_model_arn = local.embedding_model_arn

      embedding_model_configuration {
        bedrock_embedding_model_configuration {
          dimensions          = var.embedding_dimensions
          embedding_data_type = "FLOAT32"
        }
      }
    }
  }

  storage_configuration {
    type = local.use_oss ? "OPENSEARCH_SERVERLESS" : "S3_VECTORS"

    dynamic "opensearch_serverless_configuration" {
      for_each = local.use_oss ? [1] : []

      content {
        collection_arn    = aws_opensearchserverless_collection.kb[0].arn
        vector_index_name = local.vector_index

        field_mapping {
          vector_field   = "bedrock-knowledge-base-default-vector"
          text_field     = "AMAZON_BEDROCK_TEXT_CHUNK"
          metadata_field = "AMAZON_BEDROCK_METADATA"
        }
      }
    }

    dynamic "s3_vectors_configuration" {
      for_each = local.use_s3v ? [1] : []

      content {
        index_arn = aws_s3vectors_index.kb[0].index_arn
      }
    }
  }

  depends_on = [aws_iam_role_policy.kb, opensearch_index.kb]
}

resource "aws_bedrockagent_data_source" "docs" {
  knowledge_base_id    = aws_bedrockagent_knowledge_base.kb.id
  name                 = "${local.name}-docs"
  data_deletion_policy = "DELETE" # vectors go when the data source goes

  data_source_configuration {
    type = "S3"

    s3_configuration {
      bucket_arn         = aws_s3_bucket.docs.arn
      inclusion_prefixes = [local.docs_prefix]
    }
  }

  # Encrypts the transient data of ingestion jobs.
  server_side_encryption_configuration {
    kms_key_arn = aws_kms_key.kb.arn
  }

  # Changing this block replaces the data source (and loses its ingestion history).
  vector_ingestion_configuration {
    chunking_configuration {
      chunking_strategy = "FIXED_SIZE"

      fixed_size_chunking_configuration {
        max_tokens         = 300
        overlap_percentage = 20
      }
    }
  }
}

# Nothing in Terraform starts an ingestion job: run the command of output "start_ingestion".
