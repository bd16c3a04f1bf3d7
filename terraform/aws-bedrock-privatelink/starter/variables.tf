variable "region" {
  description = "The lab Region. Inference must stay in this Region."
  type        = string
  default     = "eu-central-1"
}

variable "learner_id" {
  description = "Your learner id. Only needed when several learners share one account."
  type        = string
  default     = ""
}

variable "approved_model_ids" {
  description = "Foundation-model ids the app may invoke. Each must be available on demand in var.region."
  type        = list(string)
  default     = ["anthropic.claude-3-haiku-20240307-v1:0"]

  validation {
    condition     = length(var.approved_model_ids) > 0
    error_message = "List at least one approved model id."
  }

  validation {
    condition     = alltrue([for id in var.approved_model_ids : !can(regex("^(us|eu|apac|jp|au|ca|us-gov|global)[.]", id))])
    error_message = "Use in-Region foundation-model ids, not cross-Region inference profiles (us., eu., global., ...)."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the lab VPC."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block."
  }
}
