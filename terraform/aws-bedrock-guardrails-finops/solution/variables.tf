variable "region" {
  description = "The lab Region. Pick one where var.model_id is offered on demand in-Region."
  type        = string
  default     = "us-east-1"
}

variable "learner_id" {
  description = "Your learner id. Only needed when several learners share one account."
  type        = string
  default     = ""
}

variable "cost_center" {
  description = "Value of the CostCenter tag that attributes the lab's Bedrock spend."
  type        = string
  default     = "genai-lab"

  validation {
    condition     = length(var.cost_center) > 0
    error_message = "The CostCenter tag needs a non-empty value."
  }
}

variable "alert_email" {
  description = "E-mail address that receives budget and alarm notifications (confirm the SNS subscription)."
  type        = string

  validation {
    condition     = can(regex("^[^@ ]+@[^@ ]+$", var.alert_email))
    error_message = "alert_email must be an e-mail address."
  }
}

variable "budget_usd" {
  description = "Monthly limit of the Bedrock budget, in USD (labcheck accepts up to 50 by default)."
  type        = number
  default     = 20

  validation {
    condition     = var.budget_usd > 0
    error_message = "budget_usd must be positive."
  }
}

variable "model_id" {
  description = "The small on-demand foundation model the inference profile copies."
  type        = string
  default     = "amazon.nova-micro-v1:0"

  validation {
    condition     = !can(regex("^(us|eu|apac|jp|au|ca|us-gov|global)[.]", var.model_id))
    error_message = "Use a foundation-model id (e.g. amazon.nova-micro-v1:0), not a cross-Region inference profile id."
  }
}

variable "token_alarm_threshold" {
  description = "Input tokens per hour above which the token-usage alarm notifies you."
  type        = number
  default     = 200000
}

variable "activate_cost_allocation_tag" {
  description = "Activate CostCenter as a cost allocation tag. Set false on the first apply if billing does not know the key yet."
  type        = bool
  default     = true
}
