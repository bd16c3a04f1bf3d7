# Lab azure-ai-content-safety-gateway: reference solution.
#
# Clients call API Management (Basic v2) with a subscription key. API Management calls Azure OpenAI with
# its system-assigned identity (no key), screens every prompt with llm-content-safety (prompt shield on)
# against a keyless Content Safety account, and caps tokens per subscription. The OpenAI deployment uses a
# custom RAI policy with prompt shields, protected-material filters and a custom blocklist on prompts and
# completions. Both AI accounts send their logs to Log Analytics.
#
# Cost: API Management Basic v2 bills by the hour while it exists. Run `terraform destroy` when you are done.

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

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

  # The API's policy. <base /> keeps the service-wide policy in force; the order matters: authenticate the
  # backend call, screen the prompt, then count its tokens.
  gateway_policy = <<-XML
    <policies>
      <inbound>
        <base />
        <set-backend-service backend-id="${azurerm_api_management_backend.openai.name}" />
        <authentication-managed-identity resource="https://cognitiveservices.azure.com" />
        <llm-content-safety backend-id="${azurerm_api_management_backend.content_safety.name}" shield-prompt="true">
          <categories output-type="FourSeverityLevels">
            <category name="Hate" threshold="2" />
            <category name="SelfHarm" threshold="2" />
            <category name="Sexual" threshold="2" />
            <category name="Violence" threshold="2" />
          </categories>
        </llm-content-safety>
        <llm-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="${var.tokens_per_minute}" estimate-prompt-tokens="true" remaining-tokens-header-name="x-remaining-tokens" />
        <llm-emit-token-metric namespace="labcheck-gateway">
          <dimension name="Subscription ID" value="@(context.Subscription.Id)" />
          <dimension name="API ID" />
        </llm-emit-token-metric>
      </inbound>
      <backend>
        <base />
      </backend>
      <outbound>
        <base />
      </outbound>
      <on-error>
        <base />
      </on-error>
    </policies>
  XML
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
# Azure AI Content Safety: the gateway's screening service, Entra ID tokens only
# ---------------------------------------------------------------------------------------------------

resource "azurerm_cognitive_account" "content_safety" {
  name                  = local.safety_name
  location              = azurerm_resource_group.lab.location
  resource_group_name   = azurerm_resource_group.lab.name
  kind                  = "ContentSafety"
  sku_name              = "S0"
  custom_subdomain_name = local.safety_name
  local_auth_enabled    = false

  # Basic v2 has no VNet integration, so Content Safety stays reachable from public networks here: the
  # advisory check gw-content-safety-network warns about it (Standard v2 with VNet integration fixes it).

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

# ---------------------------------------------------------------------------------------------------
# Azure OpenAI: keys off, one chat deployment with a custom RAI policy and blocklist
# ---------------------------------------------------------------------------------------------------

resource "azurerm_cognitive_account" "openai" {
  name                  = local.openai_name
  location              = azurerm_resource_group.lab.location
  resource_group_name   = azurerm_resource_group.lab.name
  kind                  = "OpenAI"
  sku_name              = "S0"
  custom_subdomain_name = local.openai_name
  local_auth_enabled    = false

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

resource "azurerm_cognitive_account_rai_blocklist" "terms" {
  name                 = "gateway-terms"
  cognitive_account_id = azurerm_cognitive_account.openai.id
  description          = "Internal code names the assistant must never repeat"
  tags                 = local.tags
}

# There is no azurerm resource for blocklist items.
resource "azapi_resource" "blocked_term" {
  for_each = toset(var.blocked_terms)

  type      = "Microsoft.CognitiveServices/accounts/raiBlocklists/raiBlocklistItems@2024-10-01"
  name      = "term-${substr(sha1(each.value), 0, 8)}"
  parent_id = azurerm_cognitive_account_rai_blocklist.terms.id
  body = {
    properties = {
      pattern = each.value
      isRegex = false
    }
  }
}

# azurerm_cognitive_account_rai_policy cannot attach a custom blocklist, so the policy is an azapi resource.
resource "azapi_resource" "rai_policy" {
  type      = "Microsoft.CognitiveServices/accounts/raiPolicies@2024-10-01"
  name      = "gateway-strict"
  parent_id = azurerm_cognitive_account.openai.id
  body = {
    properties = {
      basePolicyName = "Microsoft.DefaultV2"
      mode           = "Blocking"
      contentFilters = [
        { name = "Hate", source = "Prompt", severityThreshold = "Medium", blocking = true, enabled = true },
        { name = "Sexual", source = "Prompt", severityThreshold = "Medium", blocking = true, enabled = true },
        { name = "Violence", source = "Prompt", severityThreshold = "Medium", blocking = true, enabled = true },
        { name = "Selfharm", source = "Prompt", severityThreshold = "Medium", blocking = true, enabled = true },
        { name = "Hate", source = "Completion", severityThreshold = "Medium", blocking = true, enabled = true },
        { name = "Sexual", source = "Completion", severityThreshold = "Medium", blocking = true, enabled = true },
        { name = "Violence", source = "Completion", severityThreshold = "Medium", blocking = true, enabled = true },
        { name = "Selfharm", source = "Completion", severityThreshold = "Medium", blocking = true, enabled = true },
        # Prompt shields: user jailbreaks, and instructions smuggled in through documents.
        { name = "Jailbreak", source = "Prompt", blocking = true, enabled = true },
        { name = "Indirect Attack", source = "Prompt", blocking = true, enabled = true },
        # Protected material: block copyrighted text; annotate (not block) licensed code.
        { name = "Protected Material Text", source = "Completion", blocking = true, enabled = true },
        { name = "Protected Material Code", source = "Completion", blocking = false, enabled = true },
      ]
      customBlocklists = [
        { blocklistName = azurerm_cognitive_account_rai_blocklist.terms.name, blocking = true, source = "Prompt" },
        { blocklistName = azurerm_cognitive_account_rai_blocklist.terms.name, blocking = true, source = "Completion" },
      ]
    }
  }

  depends_on = [azapi_resource.blocked_term]
}

resource "azurerm_cognitive_deployment" "chat" {
  name                   = var.chat_model.name
  cognitive_account_id   = azurerm_cognitive_account.openai.id
  rai_policy_name        = azapi_resource.rai_policy.name
  version_upgrade_option = "NoAutoUpgrade"

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

resource "azurerm_api_management" "gateway" {
  name                = local.apim_name
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  publisher_name      = var.publisher_name
  publisher_email     = var.publisher_email

  # Not Consumption: that tier has no llm-content-safety policy.
  sku_name = "BasicV2_1"

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

resource "azurerm_api_management_backend" "openai" {
  name                = "aoai-backend"
  resource_group_name = azurerm_resource_group.lab.name
  api_management_name = azurerm_api_management.gateway.name
  protocol            = "http"
  url                 = "${azurerm_cognitive_account.openai.endpoint}openai"
  description         = "Azure OpenAI, called with the gateway's managed identity"
}

resource "azurerm_api_management_backend" "content_safety" {
  name                = "content-safety-backend"
  resource_group_name = azurerm_resource_group.lab.name
  api_management_name = azurerm_api_management.gateway.name
  protocol            = "http"
  url                 = trimsuffix(azurerm_cognitive_account.content_safety.endpoint, "/")
  description         = "Azure AI Content Safety for llm-content-safety"
}

resource "azurerm_api_management_api" "openai" {
  name                  = "azure-openai"
  resource_group_name   = azurerm_resource_group.lab.name
  api_management_name   = azurerm_api_management.gateway.name
  revision              = "1"
  display_name          = "Azure OpenAI"
  path                  = "openai"
  protocols             = ["https"]
  subscription_required = true
  service_url           = "${azurerm_cognitive_account.openai.endpoint}openai"

  # Clients send their API Management subscription key where the OpenAI SDKs put a key.
  subscription_key_parameter_names {
    header = "api-key"
    query  = "subscription-key"
  }

  import {
    content_format = "openapi+json-link"
    content_value  = "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/specification/cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json"
  }
}

resource "azurerm_api_management_api_policy" "openai" {
  api_name            = azurerm_api_management_api.openai.name
  api_management_name = azurerm_api_management.gateway.name
  resource_group_name = azurerm_resource_group.lab.name
  xml_content         = local.gateway_policy
}

# ---------------------------------------------------------------------------------------------------
# The gateway's identity: data-plane roles on both AI accounts
# ---------------------------------------------------------------------------------------------------

resource "azurerm_role_assignment" "gateway_openai_user" {
  scope                = azurerm_cognitive_account.openai.id
  role_definition_name = "Cognitive Services OpenAI User"
  principal_id         = azurerm_api_management.gateway.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "gateway_content_safety_user" {
  scope                = azurerm_cognitive_account.content_safety.id
  role_definition_name = "Cognitive Services User"
  principal_id         = azurerm_api_management.gateway.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

# ---------------------------------------------------------------------------------------------------
# Diagnostics: both AI accounts to Log Analytics
# ---------------------------------------------------------------------------------------------------

resource "azurerm_monitor_diagnostic_setting" "openai" {
  name                       = "openai-to-law"
  target_resource_id         = azurerm_cognitive_account.openai.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.lab.id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}

resource "azurerm_monitor_diagnostic_setting" "content_safety" {
  name                       = "content-safety-to-law"
  target_resource_id         = azurerm_cognitive_account.content_safety.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.lab.id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
