variable "subscription_id" {
  description = "The Azure subscription to deploy into (azurerm 4+ needs it explicitly)."
  type        = string
}

variable "location" {
  description = "Region of every resource. It must offer API Management v2, Content Safety and the chat model."
  type        = string
  default     = "swedencentral"
}

variable "resource_group_name" {
  description = "The lab resource group; pass the same name to labcheck (--input resource_group=...)."
  type        = string
  default     = "rg-labcheck-gateway"
}

variable "learner" {
  description = "Your learner id (tag labcheck-learner); only needed when several learners share a subscription."
  type        = string
  default     = ""
}

variable "publisher_name" {
  description = "Publisher name of the API Management instance."
  type        = string
  default     = "Labcheck Learner"
}

variable "publisher_email" {
  description = "Publisher e-mail of the API Management instance (Azure sends service notices there)."
  type        = string
}

variable "chat_model" {
  description = "The chat model deployed behind the gateway: name and version."
  type        = object({ name = string, version = string })
  default     = { name = "gpt-4o-mini", version = "2024-07-18" }
}

variable "tokens_per_minute" {
  description = "Tokens per minute each gateway subscription may use (labcheck accepts at most 10000 by default)."
  type        = number
  default     = 5000

  validation {
    condition     = var.tokens_per_minute > 0 && var.tokens_per_minute <= 10000
    error_message = "Keep tokens_per_minute between 1 and 10000."
  }
}

variable "blocked_terms" {
  description = "Terms the custom blocklist stops in prompts and completions (at least one)."
  type        = list(string)
  default     = ["Project Nightingale"]

  validation {
    condition     = length(var.blocked_terms) > 0
    error_message = "List at least one blocked term."
  }
}
