variable "subscription_id" {
  description = "The Azure subscription to deploy into (or set ARM_SUBSCRIPTION_ID and leave this null)."
  type        = string
  default     = null
}

variable "location" {
  description = "The lab region; it must be one of the lab's allowed regions (labcheck show azure-openai-private-endpoint)."
  type        = string
  default     = "swedencentral"
}

variable "resource_group_name" {
  description = "The resource group that holds every lab resource; pass it to labcheck as --input resource_group=..."
  type        = string
  default     = "rg-labcheck-aoai"
}

variable "learner" {
  description = "Your learner id, recorded in the labcheck-learner tag."
  type        = string
  default     = ""
}

variable "chat_model" {
  description = "The chat model to deploy: name and version (it must be offered as DataZoneStandard in var.location)."
  type = object({
    name    = string
    version = string
  })
  default = {
    name    = "gpt-4o-mini"
    version = "2024-07-18"
  }
}
