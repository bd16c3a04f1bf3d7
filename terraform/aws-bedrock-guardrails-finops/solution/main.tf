# Lab aws-bedrock-guardrails-finops: reference solution.
#
# A Lambda app calls a small on-demand model through a tagged application inference profile, always with
# a published, CMK-encrypted guardrail version (the app role allows nothing else). The CostCenter tag is
# activated for cost allocation, a monthly budget watches Bedrock spend, and two CloudWatch alarms
# (token usage, guardrail interventions) notify an SNS topic with a confirmed e-mail subscription.

provider "aws" {
  region = var.region

  # labcheck finds the app function, the guardrail and the inference profile by labcheck-lab; CostCenter
  # is the cost allocation tag that attributes the Bedrock spend.
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

  # The condition value must carry the version: an unversioned guardrail ARN never matches.
  guardrail_identifier = "${aws_bedrock_guardrail.this.guardrail_arn}:${aws_bedrock_guardrail_version.this.version}"
}

# ---------------------------------------------------------------------------------------------------
# The guardrail: content, prompt-attack and PII filters, encrypted with a rotating CMK, and published.
# ---------------------------------------------------------------------------------------------------

# The default key policy lets the account's IAM policies grant use of the key (the app role below).
resource "aws_kms_key" "guardrail" {
  description             = "${local.name} guardrail"
  enable_key_rotation     = true
  deletion_window_in_days = 7
}

resource "aws_kms_alias" "guardrail" {
  name          = "alias/${local.name}-guardrail"
  target_key_id = aws_kms_key.guardrail.key_id
}

resource "aws_bedrock_guardrail" "this" {
  name                      = local.name
  description               = "Blocks harmful content, prompt attacks and personal data for the lab app."
  blocked_input_messaging   = "Sorry, this request is not allowed."
  blocked_outputs_messaging = "Sorry, the answer was withheld by a guardrail."
  kms_key_arn               = aws_kms_key.guardrail.arn

  content_policy_config {
    filters_config {
      type            = "HATE"
      input_strength  = "HIGH"
      output_strength = "HIGH"
    }
    filters_config {
      type            = "INSULTS"
      input_strength  = "HIGH"
      output_strength = "HIGH"
    }
    filters_config {
      type            = "SEXUAL"
      input_strength  = "HIGH"
      output_strength = "HIGH"
    }
    filters_config {
      type            = "VIOLENCE"
      input_strength  = "HIGH"
      output_strength = "HIGH"
    }
    filters_config {
      type            = "MISCONDUCT"
      input_strength  = "MEDIUM"
      output_strength = "MEDIUM"
    }
    # Prompt attacks arrive in the input; the API wants output_strength NONE for this type.
    filters_config {
      type            = "PROMPT_ATTACK"
      input_strength  = "HIGH"
      output_strength = "NONE"
    }
  }

  sensitive_information_policy_config {
    pii_entities_config {
      type   = "EMAIL"
      action = "ANONYMIZE"
    }
    pii_entities_config {
      type   = "PHONE"
      action = "ANONYMIZE"
    }
    pii_entities_config {
      type   = "CREDIT_DEBIT_CARD_NUMBER"
      action = "BLOCK"
    }
    pii_entities_config {
      type   = "US_SOCIAL_SECURITY_NUMBER"
      action = "BLOCK"
    }
    pii_entities_config {
      type   = "AWS_ACCESS_KEY"
      action = "BLOCK"
    }
    pii_entities_config {
      type   = "AWS_SECRET_KEY"
      action = "BLOCK"
    }
  }
}

# Apps pin this numeric version; the DRAFT keeps changing as you edit the guardrail. Any change to the
# guardrail publishes a new version (and the app role and environment follow it).
resource "aws_bedrock_guardrail_version" "this" {
  guardrail_arn = aws_bedrock_guardrail.this.guardrail_arn
  description   = "Published by Terraform for ${local.name}"
  skip_destroy  = false

  lifecycle {
    replace_triggered_by = [aws_bedrock_guardrail.this]
  }
}

# ---------------------------------------------------------------------------------------------------
# The application inference profile: the model the app calls, tagged for cost allocation.
# ---------------------------------------------------------------------------------------------------

resource "aws_bedrock_inference_profile" "this" {
  name        = local.name
  description = "The lab app's model; its tags attribute the token spend."

  model_source {
    copy_from = local.model_arn
  }

  tags = {
    CostCenter = var.cost_center
  }
}

# Billing knows a tag key only after a tagged resource has incurred cost (up to a day). On a brand-new
# account, apply once with -var activate_cost_allocation_tag=false, call the app, and apply again later.
resource "aws_ce_cost_allocation_tag" "cost_center" {
  count = var.activate_cost_allocation_tag ? 1 : 0

  tag_key = "CostCenter"
  status  = "Active"
}

# ---------------------------------------------------------------------------------------------------
# The app: a Lambda function whose role may invoke only the profile and its model, only with the
# published guardrail version.
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

data "aws_iam_policy_document" "app" {
  # Calls through an application inference profile are authorised on the profile and on its model.
  statement {
    sid       = "InvokeThroughProfileWithGuardrail"
    effect    = "Allow"
    actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    resources = [aws_bedrock_inference_profile.this.arn, local.model_arn]

    condition {
      test     = "StringEquals"
      variable = "bedrock:GuardrailIdentifier"
      values   = [local.guardrail_identifier]
    }
  }

  statement {
    sid       = "ApplyTheGuardrail"
    effect    = "Allow"
    actions   = ["bedrock:ApplyGuardrail"]
    resources = [aws_bedrock_guardrail.this.guardrail_arn]
  }

  statement {
    sid       = "ReadTheGuardrailKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.guardrail.arn]
  }
}

resource "aws_iam_role_policy" "app_bedrock" {
  name   = "bedrock"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
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
      MODEL_ARN         = aws_bedrock_inference_profile.this.arn
      GUARDRAIL_ID      = aws_bedrock_guardrail.this.guardrail_id
      GUARDRAIL_VERSION = aws_bedrock_guardrail_version.this.version
    }
  }

  depends_on = [aws_iam_role_policy.app_bedrock, aws_iam_role_policy_attachment.app_logs]
}

# ---------------------------------------------------------------------------------------------------
# Alerts: an SNS topic with a confirmed e-mail subscription, a Bedrock budget and two alarms.
# ---------------------------------------------------------------------------------------------------

resource "aws_sns_topic" "alerts" {
  name = "${local.name}-alerts"
}

# Budgets and CloudWatch publish as service principals; without this the budget alerts never arrive.
data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "BudgetsAndAlarmsPublish"
    effect    = "Allow"
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

# AWS e-mails a confirmation link; the subscription delivers nothing until you click it.
resource "aws_sns_topic_subscription" "email" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_budgets_budget" "bedrock" {
  name         = "${local.name}-bedrock"
  budget_type  = "COST"
  limit_amount = var.budget_usd
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "Service"
    values = ["Amazon Bedrock"]
  }

  notification {
    notification_type          = "ACTUAL"
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    subscriber_email_addresses = [var.alert_email]
    subscriber_sns_topic_arns  = [aws_sns_topic.alerts.arn]
  }

  notification {
    notification_type          = "FORECASTED"
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    subscriber_email_addresses = [var.alert_email]
    subscriber_sns_topic_arns  = [aws_sns_topic.alerts.arn]
  }

  depends_on = [aws_sns_topic_policy.alerts]
}

# Which ModelId value Bedrock records for calls through an application inference profile is not yet
# confirmed; labcheck accepts the profile ARN or id, the model id, or no dimension at all.
resource "aws_cloudwatch_metric_alarm" "tokens" {
  alarm_name          = "${local.name}-input-tokens"
  alarm_description   = "Input tokens of the lab app per hour."
  namespace           = "AWS/Bedrock"
  metric_name         = "InputTokenCount"
  dimensions          = { ModelId = aws_bedrock_inference_profile.this.arn }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = var.token_alarm_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "guardrail_interventions" {
  alarm_name          = "${local.name}-guardrail-interventions"
  alarm_description   = "A burst of guardrail interventions: an attack, or a guardrail that blocks real users."
  namespace           = "AWS/Bedrock/Guardrails"
  metric_name         = "InvocationsIntervened"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

# ---------------------------------------------------------------------------------------------------
# No Provisioned Throughput: the lab's spiky, low-volume traffic belongs on on-demand inference.
# ---------------------------------------------------------------------------------------------------
