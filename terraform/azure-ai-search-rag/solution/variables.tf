variable "subscription_id" {
  description = "The Azure subscription to deploy into (null: ARM_SUBSCRIPTION_ID or the az CLI's default)."
  type        = string
  default     = null
}

variable "location" {
  description = "Azure region of the lab. Pick one where Azure OpenAI and AI Search Basic are both offered."
  type        = string
  default     = "swedencentral"
}

variable "resource_group_name" {
  description = "The lab resource group; labcheck grades what it holds (--input resource_group=...)."
  type        = string
  default     = "rg-labcheck-rag"
}

variable "name_suffix" {
  description = "A short suffix (3-8 lower-case letters or digits) that makes the global names unique, e.g. your initials and two digits."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{3,8}$", var.name_suffix))
    error_message = "name_suffix takes 3 to 8 lower-case letters or digits."
  }
}

variable "learner" {
  description = "Your learner id, written to the labcheck-learner tag (useful when a course shares a subscription)."
  type        = string
  default     = ""
}

variable "vnet_cidr" {
  description = "Address space of the lab virtual network."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrhost(var.vnet_cidr, 0))
    error_message = "vnet_cidr must be a valid IPv4 CIDR block."
  }
}
