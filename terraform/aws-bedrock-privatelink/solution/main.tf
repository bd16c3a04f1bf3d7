# Lab aws-bedrock-privatelink: reference solution.
#
# A Lambda app in two private subnets (no internet gateway, no NAT) calls bedrock-runtime through an
# interface VPC endpoint. The endpoint policy and the app role both restrict access to the approved
# foundation models in the lab Region, and model invocation logs go to a CMK-encrypted log group.

provider "aws" {
  region = var.region

  # labcheck finds the lab's VPC and Lambda function by these tags.
  default_tags {
    tags = {
      "labcheck-lab"     = "aws-bedrock-privatelink"
      "labcheck-learner" = var.learner_id
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  name       = var.learner_id == "" ? "labcheck-privatelink" : "labcheck-privatelink-${var.learner_id}"
  account_id = data.aws_caller_identity.current.account_id

  # Foundation-model ARNs have an empty account field.
  approved_model_arns = [for id in var.approved_model_ids : "arn:aws:bedrock:${var.region}::foundation-model/${id}"]

  log_group_name = "/labcheck/${local.name}/bedrock-invocations"
}

# ---------------------------------------------------------------------------------------------------
# Network: a VPC with two private subnets and no route to the internet.
# ---------------------------------------------------------------------------------------------------

resource "aws_vpc" "this" {
  cidr_block = var.vpc_cidr

  # Both are needed for the endpoint's private DNS name to resolve inside the VPC.
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = local.name }
}

resource "aws_subnet" "private" {
  count = 2

  vpc_id                  = aws_vpc.this.id
  cidr_block              = cidrsubnet(var.vpc_cidr, 4, count.index)
  availability_zone       = data.aws_availability_zones.available.names[count.index]
  map_public_ip_on_launch = false

  tags = { Name = "${local.name}-private-${count.index}" }
}

# Only the implicit local route: no internet gateway, no NAT gateway, no 0.0.0.0/0.
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${local.name}-private" }
}

resource "aws_route_table_association" "private" {
  count = 2

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# ---------------------------------------------------------------------------------------------------
# Security groups: the app may reach the endpoint on 443; the endpoint admits 443 from the VPC only.
# ---------------------------------------------------------------------------------------------------

resource "aws_security_group" "app" {
  name        = "${local.name}-app"
  description = "Lab app Lambda function"
  vpc_id      = aws_vpc.this.id
}

resource "aws_security_group" "vpce" {
  name        = "${local.name}-vpce"
  description = "bedrock-runtime interface endpoint"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "vpce_https_from_vpc" {
  security_group_id = aws_security_group.vpce.id
  description       = "HTTPS from inside the lab VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_vpc.this.cidr_block
}

# Terraform removes the default allow-all egress rule, so the app gets exactly one way out.
resource "aws_vpc_security_group_egress_rule" "app_https_to_vpce" {
  security_group_id            = aws_security_group.app.id
  description                  = "HTTPS to the bedrock-runtime endpoint"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.vpce.id
}

# ---------------------------------------------------------------------------------------------------
# The bedrock-runtime interface endpoint and its policy.
# ---------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "vpce" {
  statement {
    sid       = "InvokeApprovedModelsFromThisAccount"
    effect    = "Allow"
    actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    resources = local.approved_model_arns

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_vpc_endpoint" "bedrock_runtime" {
  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${data.aws_region.current.region}.bedrock-runtime"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.vpce.id]
  private_dns_enabled = true # the provider default is false
  policy              = data.aws_iam_policy_document.vpce.json

  tags = { Name = "${local.name}-bedrock-runtime" }
}

# ---------------------------------------------------------------------------------------------------
# The app: a Lambda function in the private subnets and its role.
# ---------------------------------------------------------------------------------------------------

data "archive_file" "app" {
  type        = "zip"
  source_dir  = "${path.module}/app"
  output_path = "${path.module}/.terraform/labcheck-app.zip"
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name               = "${local.name}-app"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

# Lets Lambda create the function's network interfaces and write its own logs.
resource "aws_iam_role_policy_attachment" "app_vpc_access" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

data "aws_iam_policy_document" "app_bedrock" {
  # Approved models only, and only through the lab's endpoint.
  statement {
    sid       = "InvokeApprovedModelsThroughEndpoint"
    effect    = "Allow"
    actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    resources = local.approved_model_arns

    condition {
      test     = "StringEquals"
      variable = "aws:SourceVpce"
      values   = [aws_vpc_endpoint.bedrock_runtime.id]
    }
  }

  # Nothing outside the lab Region.
  statement {
    sid       = "DenyOutsideLabRegion"
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]

    condition {
      test     = "StringNotEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }
}

resource "aws_iam_role_policy" "app_bedrock" {
  name   = "invoke-approved-models"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app_bedrock.json
}

resource "aws_lambda_function" "app" {
  function_name    = "${local.name}-app"
  role             = aws_iam_role.app.arn
  runtime          = "python3.12"
  handler          = "index.handler"
  filename         = data.archive_file.app.output_path
  source_code_hash = data.archive_file.app.output_base64sha256
  timeout          = 30

  environment {
    variables = {
      MODEL_ID = var.approved_model_ids[0]
    }
  }

  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.app.id]
  }

  depends_on = [aws_iam_role_policy_attachment.app_vpc_access]
}

# ---------------------------------------------------------------------------------------------------
# Model invocation logging: a CMK-encrypted log group, a logging role and the Region-wide setting.
# ---------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "logs_key" {
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
    sid = "CloudWatchLogsUse"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:aws:logs:${var.region}:${local.account_id}:log-group:${local.log_group_name}"]
    }
  }
}

resource "aws_kms_key" "logs" {
  description             = "${local.name}: Bedrock model invocation logs"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.logs_key.json
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${local.name}-invocation-logs"
  target_key_id = aws_kms_key.logs.key_id
}

resource "aws_cloudwatch_log_group" "invocations" {
  name              = local.log_group_name
  kms_key_id        = aws_kms_key.logs.arn
  retention_in_days = 90
}

data "aws_iam_policy_document" "bedrock_logging_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["bedrock.amazonaws.com"]
    }

    # Only Bedrock acting for this account may assume the role (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:bedrock:${var.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "bedrock_logging" {
  name               = "${local.name}-bedrock-logging"
  assume_role_policy = data.aws_iam_policy_document.bedrock_logging_trust.json
}

data "aws_iam_policy_document" "bedrock_logging" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.invocations.arn}:*"]
  }
}

resource "aws_iam_role_policy" "bedrock_logging" {
  name   = "write-invocation-logs"
  role   = aws_iam_role.bedrock_logging.id
  policy = data.aws_iam_policy_document.bedrock_logging.json
}

# One per Region and account: do not declare it in a second configuration.
resource "aws_bedrock_model_invocation_logging_configuration" "this" {
  logging_config {
    # The provider turns every data type on unless told otherwise.
    text_data_delivery_enabled      = true
    image_data_delivery_enabled     = false
    embedding_data_delivery_enabled = false
    video_data_delivery_enabled     = false

    cloudwatch_config {
      log_group_name = aws_cloudwatch_log_group.invocations.name
      role_arn       = aws_iam_role.bedrock_logging.arn
    }
  }

  depends_on = [aws_iam_role_policy.bedrock_logging]
}

# Optional (advisory check): mask personal data in the logged prompts and completions.
locals {
  pii_data_identifiers = [
    "arn:aws:dataprotection::aws:data-identifier/EmailAddress",
    "arn:aws:dataprotection::aws:data-identifier/Name",
  ]
}

resource "aws_cloudwatch_log_data_protection_policy" "invocations" {
  log_group_name = aws_cloudwatch_log_group.invocations.name

  policy_document = jsonencode({
    Name    = "${local.name}-pii"
    Version = "2021-06-01"
    Statement = [
      {
        Sid            = "Audit"
        DataIdentifier = local.pii_data_identifiers
        Operation      = { Audit = { FindingsDestination = {} } }
      },
      {
        Sid            = "Redact"
        DataIdentifier = local.pii_data_identifiers
        Operation      = { Deidentify = { MaskConfig = {} } }
      },
    ]
  })
}
