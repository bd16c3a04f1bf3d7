# Lab aws-bedrock-privatelink: starter.
#
# Goal: a Lambda app in two private subnets (no internet gateway, no NAT) calls Amazon Bedrock
# through AWS PrivateLink only, may use only the approved models in the lab Region, and every model
# invocation is logged to an encrypted log group.
#
# The network, the function and its role are given. Each "TODO (<check id>)" below marks a place where
# you add a resource or an argument; the check id is the name labcheck reports for it.

provider "aws" {
  region = var.region

  # labcheck finds the lab's VPC and Lambda function by these tags. Keep them.
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
}

# ---------------------------------------------------------------------------------------------------
# Network: a VPC with two private subnets and no route to the internet (given).
# ---------------------------------------------------------------------------------------------------

resource "aws_vpc" "this" {
  cidr_block         = var.vpc_cidr
  enable_dns_support = true

  # TODO (vpc-dns-enabled): private DNS for an interface endpoint also needs DNS hostnames turned on
  # for this VPC (the AWS and Terraform default is off).

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

# Only the implicit local route. Do not add an internet gateway, a NAT gateway or a 0.0.0.0/0 route.
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
# Security groups
# ---------------------------------------------------------------------------------------------------

# TODO (endpoint-sg-443-from-vpc-only): create two security groups in the VPC without inline rules,
# one for the app and one for the endpoint. Give the endpoint's group a single ingress rule
# (aws_vpc_security_group_ingress_rule): TCP 443 from the VPC CIDR (or from the app's group) and
# nothing else. Remember that Terraform removes the default egress rule: let the app's group reach
# the endpoint's group on 443.

# ---------------------------------------------------------------------------------------------------
# The Bedrock runtime endpoint
# ---------------------------------------------------------------------------------------------------

# TODO (endpoint-policy-least-privilege): write an endpoint policy (an aws_iam_policy_document data
# source) that allows only bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream, only on
# local.approved_model_arns, and only for principals of this account (condition on
# aws:PrincipalAccount).

# TODO (bedrock-runtime-interface-endpoint): create an interface VPC endpoint for the service
# "com.amazonaws.<region>.bedrock-runtime" in both private subnets, with the endpoint security group
# and the endpoint policy above.

# TODO (endpoint-private-dns): turn private DNS on for that endpoint, so the SDK's default
# bedrock-runtime host name resolves to it. Terraform's default is off.

# ---------------------------------------------------------------------------------------------------
# The app: a Lambda function and its role (given).
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

# TODO (app-runs-in-private-subnets): a function in a VPC needs the managed policy
# service-role/AWSLambdaVPCAccessExecutionRole attached to its role.

# TODO (app-role-approved-models-only): give the app role an inline policy that allows
# bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on local.approved_model_arns only.

# TODO (app-role-requires-sourcevpce): in that Allow statement, require the request to come through
# the lab's endpoint (StringEquals on aws:SourceVpce).

# TODO (region-pinned): add a Deny statement for everything when aws:RequestedRegion is not the lab
# Region.

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

  # TODO (app-runs-in-private-subnets): attach the function to both private subnets with the app's
  # security group.
}

# ---------------------------------------------------------------------------------------------------
# Model invocation logging
# ---------------------------------------------------------------------------------------------------

# TODO (invocation-logs-encrypted-cmk): create a KMS key with automatic rotation whose key policy lets
# the account administer it and lets logs.<region>.amazonaws.com use it for your log group (condition
# on kms:EncryptionContext:aws:logs:arn). Then create the invocation log group encrypted with that key
# and with a retention of at least 30 days.

# TODO (logging-role-confused-deputy): create the role Bedrock uses to write the logs. Trust
# bedrock.amazonaws.com only when aws:SourceAccount is this account (and aws:SourceArn matches
# Bedrock in this Region and account). Allow it logs:CreateLogStream and logs:PutLogEvents on the
# log group.

# TODO (invocation-logging-enabled): turn on Bedrock model invocation logging for this Region with
# text delivery on (image, embedding and video off) and the log group and role above as its
# CloudWatch destination. There is one such setting per Region and account.

# TODO (invocation-logs-pii-masking): optional (advisory) - attach a CloudWatch Logs data protection
# policy to the log group that audits and masks personal data such as e-mail addresses and names.
