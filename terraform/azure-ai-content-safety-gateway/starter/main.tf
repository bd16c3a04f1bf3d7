# Lab azure-ai-content-safety-gateway: starter.
#
# Goal: clients reach Azure OpenAI only through an API Management gateway that authenticates with its
# managed identity (no keys anywhere), screens prompts with Azure AI Content Safety (prompt shield on),
# caps tokens per consumer and requires a subscription key; the model itself runs under a custom RAI
# policy with prompt shields, protected-material filters and a custom blocklist; both AI accounts log to
# Log Analytics.
#
# The resource group, the workspace, the OpenAI account and its chat deployment are given. Each
# "TODO (<check id>)" below marks a place where you add a resource or an argument; the check id is the
# name labcheck reports for it.
#
# Cost: API Management v2 bills by the hour while it exists. Run `terraform destroy` when you are done.

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

# For what azurerm cannot express yet: RAI blocklist items, and a RAI policy that attaches a blocklist.
provider "azapi" {}

data "azurerm_client_config" "current" {}

locals {
  # A short, stable suffix keeps the global names (subdomains, gateway host) unique per subscription and learner.
  suffix      = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.learner}"), 0, 6)
  openai_name = "aoai-labcheck-gw-${local.suffix}"
  safety_name = "cs-labcheck-gw-${local.suffix}"
  apim_name   = "apim-labcheck-gw-${local.suffix}"

  # labcheck finds the gateway by type in the resource group, then by this tag. Keep it on every resource.
  tags = {
    "labcheck-lab"     = "azure-ai-content-safety-gateway"
    "labcheck-learner" = var.learner
  }
}

resource "azurerm_resource_group" "lab" {
  name     = var.resource_group_name
  location = var.location
  tags     = local.tags
}

resource "azurerm_log_analytics_workspace" "lab" {
  name                = "law-labcheck-gw-${local.suffix}"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = local.tags
}

# ---------------------------------------------------------------------------------------------------
# Azure AI Content Safety
# ---------------------------------------------------------------------------------------------------

# TODO (gw-content-safety-account): add an azurerm_cognitive_account "content_safety" with
# kind = "ContentSafety", sku_name = "S0", its own custom_subdomain_name (local.safety_name; Entra ID tokens
# need it and it cannot be changed later), keys off, a system-assigned identity and tags = local.tags.
#
# TODO (gw-content-safety-network), optional: only the gateway needs to reach it. Closing it to public
# networks needs API Management with VNet integration (Standard v2), so it is advisory in this lab.

# ---------------------------------------------------------------------------------------------------
# Azure OpenAI
# ---------------------------------------------------------------------------------------------------

resource "azurerm_cognitive_account" "openai" {
  name                  = local.openai_name
  location              = azurerm_resource_group.lab.location
  resource_group_name   = azurerm_resource_group.lab.name
  kind                  = "OpenAI"
  sku_name              = "S0"
  custom_subdomain_name = local.openai_name

  # TODO (gw-aoai-local-auth-disabled): turn API keys off, so the only way in is the gateway's identity.

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

# TODO (gw-rai-blocklist-attached): add an azurerm_cognitive_account_rai_blocklist on the OpenAI account,
# and one azapi_resource per term in var.blocked_terms:
#   type      = "Microsoft.CognitiveServices/accounts/raiBlocklists/raiBlocklistItems@2024-10-01"
#   parent_id = <the blocklist's id>
#   body      = { properties = { pattern = <term>, isRegex = false } }

# TODO (gw-deployments-custom-rai): add a custom RAI policy as an azapi_resource
#   type      = "Microsoft.CognitiveServices/accounts/raiPolicies@2024-10-01"
#   parent_id = azurerm_cognitive_account.openai.id
#   body      = { properties = { basePolicyName = "Microsoft.DefaultV2", mode = "Blocking", contentFilters = [...],
#                 customBlocklists = [...] } }
# whose contentFilters block Hate, Sexual, Violence and Selfharm at severityThreshold "Medium" (or "Low")
# on both the "Prompt" and the "Completion" source, with Jailbreak on too.
# TODO (gw-rai-prompt-shields): in the same policy, enable and block "Jailbreak" and "Indirect Attack" on "Prompt".
# TODO (gw-rai-protected-material): and "Protected Material Text" (blocking) and "Protected Material Code"
# (enabled) on "Completion".
# TODO (gw-rai-blocklist-attached): and list your blocklist in customBlocklists, blocking, once for
# source "Prompt" and once for "Completion" (azurerm_cognitive_account_rai_policy cannot do this).

resource "azurerm_cognitive_deployment" "chat" {
  name                   = var.chat_model.name
  cognitive_account_id   = azurerm_cognitive_account.openai.id
  version_upgrade_option = "NoAutoUpgrade"

  # TODO (gw-deployments-custom-rai): run the deployment under your RAI policy (its name), not the default.

  model {
    format  = "OpenAI"
    name    = var.chat_model.name
    version = var.chat_model.version
  }

  sku {
    name     = "DataZoneStandard"
    capacity = 10
  }
}

# ---------------------------------------------------------------------------------------------------
# API Management: the gateway
# ---------------------------------------------------------------------------------------------------

# TODO (gw-apim-exists): add an azurerm_api_management "gateway" named local.apim_name, with publisher_name
# and publisher_email from the variables, on a tier that has the llm-* policies (not Consumption; Basic v2
# is the cheapest that does), tagged with local.tags.
# TODO (gw-apim-managed-identity): give it a system-assigned identity; it is how the gateway calls both AI
# accounts without keys.

# TODO (gw-llm-content-safety-policy): add two azurerm_api_management_backend resources (protocol = "http"):
# one whose url is the OpenAI endpoint followed by "openai", one whose url is the Content Safety endpoint.

# TODO (gw-api-subscription-required): add an azurerm_api_management_api (path = "openai",
# protocols = ["https"], revision = "1", service_url = the OpenAI endpoint + "openai", import the Azure OpenAI
# inference OpenAPI document) that only identified callers may use.

# TODO (gw-api-keyless-backend): add an azurerm_api_management_api_policy for that API whose <inbound> keeps
# <base />, sends calls to the OpenAI backend (set-backend-service) and authenticates them with the
# gateway's managed identity for https://cognitiveservices.azure.com (never an api-key header).
# TODO (gw-llm-content-safety-policy): in the same <inbound>, screen prompts with llm-content-safety against
# the Content Safety backend: prompt shield on; Hate, SelfHarm, Sexual and Violence at threshold 4 or lower.
# TODO (gw-token-limit): and cap tokens per subscription with llm-token-limit (var.tokens_per_minute).
# TODO (gw-token-metrics), optional: and emit token metrics per subscription with llm-emit-token-metric.

# TODO (gw-apim-rbac-openai): grant the gateway's identity "Cognitive Services OpenAI User" on the OpenAI
# account (azurerm_role_assignment, principal_type = "ServicePrincipal").
# TODO (gw-apim-rbac-content-safety): and "Cognitive Services User" on the Content Safety account.

# ---------------------------------------------------------------------------------------------------
# Diagnostics
# ---------------------------------------------------------------------------------------------------

# TODO (gw-diagnostics): add an azurerm_monitor_diagnostic_setting on each AI account (OpenAI and Content
# Safety) sending the allLogs category group to azurerm_log_analytics_workspace.lab.
