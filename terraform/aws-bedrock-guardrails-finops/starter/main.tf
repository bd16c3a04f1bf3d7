# Lab aws-bedrock-guardrails-finops: starter.
#
# Goal: the Lambda app below calls a small on-demand model through a tagged application inference
# profile, only ever with a published, CMK-encrypted guardrail version, and the Bedrock spend is
# attributed, capped by a budget and watched by alarms that reach you.
#
# The app, its role and the provider are given. Each "TODO (<check id>)" below marks a place where you
# add a resource or an argument; the check id is the name labcheck reports for it.

provider "aws" {
  region = var.region

  # labcheck finds the app function, the guardrail and the inference profile by labcheck-lab; CostCenter
  # is the cost allocation tag that attributes the Bedrock spend. Keep them.
  default_tags {
    tags = {
      "labcheck-lab"     = "aws-bedrock-guardrails-finops"
      "labcheck-learner" = var.learner_id
      "CostCenter"       = var.cost_center
    }
  }
}

data "aws_caller_identity" "current" {}

locals {
  name       = var.learner_id == "" ? "labcheck-finops" : "labcheck-finops-${var.learner_id}"
  account_id = data.aws_caller_identity.current.account_id

  # Foundation-model ARNs have an empty account field.
  model_arn = "arn:aws:bedrock:${var.region}::foundation-model/${var.model_id}"
}

# ---------------------------------------------------------------------------------------------------
# The guardrail
# ---------------------------------------------------------------------------------------------------

# TODO (guardrail-encrypted-cmk): create a KMS key with automatic rotation for the guardrail (the
# default key policy is enough: it lets IAM policies in this account grant use of the key).

# TODO (guardrail-content-filters): create an aws_bedrock_guardrail with blocked input and output
# messages and a content policy that filters HATE, INSULTS, SEXUAL, VIOLENCE and MISCONDUCT at MEDIUM
# or stronger, on input and on output.

# TODO (guardrail-prompt-attack): in the same content policy, filter PROMPT_ATTACK on input at HIGH
# (its output strength must be NONE).

# TODO (guardrail-pii): add a sensitive information policy that blocks or anonymises EMAIL, PHONE,
# CREDIT_DEBIT_CARD_NUMBER, US_SOCIAL_SECURITY_NUMBER, AWS_ACCESS_KEY and AWS_SECRET_KEY.

# TODO (guardrail-encrypted-cmk): encrypt the guardrail with the key above.

# TODO (guardrail-published): publish a numeric version of the guardrail. Editing the guardrail only
# changes its DRAFT; labcheck grades the published version your app role enforces.

# ---------------------------------------------------------------------------------------------------
# The model and its cost attribution
# ---------------------------------------------------------------------------------------------------

# TODO (app-uses-tagged-inference-profile): create an application inference profile that copies
# local.model_arn and carries a CostCenter tag, so its token spend can be attributed.

# TODO (cost-allocation-tag-active): activate CostCenter as a cost allocation tag. Billing knows the
# key only after a tagged resource has incurred cost, which can take a day: apply this part once
# the app has been called.

# ---------------------------------------------------------------------------------------------------
# The app: a Lambda function and its role (given).
# ---------------------------------------------------------------------------------------------------

data "archive_file" "app" {
  type        = "zip"
  source_dir  = "${path.module}/app"
  output_path = "${path.module}/.terraform/labcheck-finops-app.zip"
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

resource "aws_iam_role_policy_attachment" "app_logs" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

# TODO (model-choice-cost-efficient): give the app role an inline policy that allows
# bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on the inference profile's ARN and
# local.model_arn only (calls through a profile are authorised on both), nothing else.

# TODO (guardrail-enforced): condition that statement on StringEquals bedrock:GuardrailIdentifier =
# "<guardrail ARN>:<published version>"; the version is part of the value. Also allow
# bedrock:ApplyGuardrail on the guardrail and kms:Decrypt on its key.

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
      # TODO (app-uses-tagged-inference-profile): call the model through the inference profile's ARN.
      MODEL_ARN = local.model_arn
      # TODO (guardrail-enforced): name the guardrail's id and its published version.
      GUARDRAIL_ID      = ""
      GUARDRAIL_VERSION = ""
    }
  }
}

# ---------------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------------

# TODO (alerts-deliverable): create an SNS topic with an e-mail subscription to var.alert_email, and
# confirm it from the message AWS sends you. Give the topic a policy that lets budgets.amazonaws.com
# and cloudwatch.amazonaws.com publish for this account.

# TODO (bedrock-budget-alerts): create a monthly COST budget of var.budget_usd USD limited to the
# service "Amazon Bedrock", with an ACTUAL and a FORECASTED notification (GREATER_THAN, a percentage
# of at most 100) sent to var.alert_email and the topic.

# TODO (token-usage-alarm): create a CloudWatch alarm on the hourly Sum of AWS/Bedrock InputTokenCount
# (or input plus output tokens with metric math) that notifies the topic.

# TODO (guardrail-intervention-alarm): optional (advisory) - alarm on the Sum of AWS/Bedrock/Guardrails
# InvocationsIntervened and notify the topic.

# ---------------------------------------------------------------------------------------------------
# Capacity
# ---------------------------------------------------------------------------------------------------

# TODO (no-provisioned-throughput): leave this commented out. Provisioned Throughput bills every hour
# whether or not a token flows, and a commitment cannot be cancelled before its term ends: the lab's
# spiky, low-volume traffic belongs on on-demand inference.
#
# resource "aws_bedrock_provisioned_model_throughput" "this" {
#   provisioned_model_name = "${local.name}-pt"
#   model_arn              = local.model_arn
#   model_units            = 1
#   commitment_duration    = "OneMonth"
# }
