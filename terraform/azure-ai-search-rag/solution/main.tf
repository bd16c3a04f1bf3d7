# Lab azure-ai-search-rag: reference solution.
#
# Azure AI Search is the private, keyless retrieval tier of a RAG app: reachable only through a private
# endpoint, Entra ID only, with a managed identity that reaches Azure OpenAI (for vectorization) and the
# documents' blob storage through shared private links approved on the target side, holding just the
# data roles it needs. Storage is locked down and Search's logs go to Log Analytics.

provider "azurerm" {
  features {}

  subscription_id = var.subscription_id

  # Shared keys are off on the storage account, so data-plane calls (the container) use Entra ID.
  storage_use_azuread = true
}

provider "azapi" {}

locals {
  # labcheck picks the lab's resources by the labcheck-lab tag when a resource group holds several.
  tags = {
    "labcheck-lab"     = "azure-ai-search-rag"
    "labcheck-learner" = var.learner
  }

  search_name  = "srch-labcheck-rag-${var.name_suffix}"
  openai_name  = "aoai-labcheck-rag-${var.name_suffix}"
  storage_name = "stlabcheckrag${var.name_suffix}"

  # The shared private links' request messages; the approvals below find their connections by them.
  openai_request  = "labcheck: Azure AI Search ${local.search_name} to Azure OpenAI"
  storage_request = "labcheck: Azure AI Search ${local.search_name} to the documents"
}

resource "azurerm_resource_group" "lab" {
  name     = var.resource_group_name
  location = var.location
  tags     = local.tags
}

# ---------------------------------------------------------------------------------------------------
# Network and monitoring (given).
# ---------------------------------------------------------------------------------------------------

resource "azurerm_virtual_network" "lab" {
  name                = "vnet-labcheck-rag"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  address_space       = [var.vnet_cidr]
  tags                = local.tags
}

resource "azurerm_subnet" "private_endpoints" {
  name                 = "snet-private-endpoints"
  resource_group_name  = azurerm_resource_group.lab.name
  virtual_network_name = azurerm_virtual_network.lab.name
  address_prefixes     = [cidrsubnet(var.vnet_cidr, 8, 1)]
}

resource "azurerm_log_analytics_workspace" "lab" {
  name                = "law-labcheck-rag-${var.name_suffix}"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = local.tags
}

# ---------------------------------------------------------------------------------------------------
# The Azure OpenAI account Search grounds with (given; lab azure-openai-private-endpoint builds it in
# full). Keys and public access are off, so Search reaches it through a shared private link, as an identity.
# ---------------------------------------------------------------------------------------------------

resource "azurerm_cognitive_account" "openai" {
  name                          = local.openai_name
  location                      = azurerm_resource_group.lab.location
  resource_group_name           = azurerm_resource_group.lab.name
  kind                          = "OpenAI"
  sku_name                      = "S0"
  custom_subdomain_name         = local.openai_name
  public_network_access_enabled = false
  local_auth_enabled            = false

  identity {
    type = "SystemAssigned"
  }

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }

  tags = local.tags
}

resource "azurerm_cognitive_deployment" "embedding" {
  name                 = "text-embedding-3-small"
  cognitive_account_id = azurerm_cognitive_account.openai.id

  model {
    format  = "OpenAI"
    name    = "text-embedding-3-small"
    version = "1"
  }

  sku {
    name     = "Standard"
    capacity = 10
  }
}

# ---------------------------------------------------------------------------------------------------
# The documents' storage account.
# ---------------------------------------------------------------------------------------------------

resource "azurerm_storage_account" "documents" {
  name                            = local.storage_name
  location                        = azurerm_resource_group.lab.location
  resource_group_name             = azurerm_resource_group.lab.name
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  default_to_oauth_authentication = true

  # search-storage-locked-down
  public_network_access_enabled   = false
  shared_access_key_enabled       = false
  allow_nested_items_to_be_public = false

  tags = local.tags
}

resource "azurerm_storage_container" "documents" {
  name                  = "documents"
  storage_account_id    = azurerm_storage_account.documents.id
  container_access_type = "private"
}

# ---------------------------------------------------------------------------------------------------
# Azure AI Search.
# ---------------------------------------------------------------------------------------------------

resource "azurerm_search_service" "lab" {
  name                = local.search_name
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name

  # search-service-exists: the free tier has neither private endpoints nor shared private links.
  sku = "basic"

  # search-public-network-disabled
  public_network_access_enabled = false
  network_rule_bypass_option    = "None"

  # search-local-auth-disabled (authentication_failure_mode stays unset: it applies only with keys on)
  local_authentication_enabled = false

  # search-semantic-ranker
  semantic_search_sku = "free"

  # search-managed-identity
  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

# search-private-endpoint-approved and search-private-dns
resource "azurerm_private_dns_zone" "search" {
  name                = "privatelink.search.windows.net"
  resource_group_name = azurerm_resource_group.lab.name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "search" {
  name                 = "vnet-labcheck-rag"
  private_dns_zone_id  = azurerm_private_dns_zone.search.id
  virtual_network_id   = azurerm_virtual_network.lab.id
  registration_enabled = false
  tags                 = local.tags
}

resource "azurerm_private_endpoint" "search" {
  name                = "pe-srch-labcheck-rag"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
  subnet_id           = azurerm_subnet.private_endpoints.id

  private_service_connection {
    name                           = "psc-search"
    private_connection_resource_id = azurerm_search_service.lab.id
    subresource_names              = ["searchService"]
    is_manual_connection           = false
  }

  # Writes the A record <search name>.privatelink.search.windows.net -> the endpoint's IP.
  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.search.id]
  }

  tags = local.tags
}

# ---------------------------------------------------------------------------------------------------
# Outbound: shared private links, their approval on the target side, and the data roles.
# ---------------------------------------------------------------------------------------------------

# search-spl-openai-approved
resource "azurerm_search_shared_private_link_service" "openai" {
  name               = "spl-aoai"
  search_service_id  = azurerm_search_service.lab.id
  subresource_name   = "openai_account"
  target_resource_id = azurerm_cognitive_account.openai.id
  request_message    = local.openai_request
}

# search-spl-storage-approved
resource "azurerm_search_shared_private_link_service" "blob" {
  name               = "spl-blob"
  search_service_id  = azurerm_search_service.lab.id
  subresource_name   = "blob"
  target_resource_id = azurerm_storage_account.documents.id
  request_message    = local.storage_request
}

# azurerm has no resource that approves a private-endpoint connection, so azapi updates the pending
# connection each shared private link created on its target. Its name is generated: find it by the
# request message, and keep that message as the description so it is found again on the next plan.
data "azapi_resource_list" "openai_connections" {
  type                   = "Microsoft.CognitiveServices/accounts/privateEndpointConnections@2024-10-01"
  parent_id              = azurerm_cognitive_account.openai.id
  response_export_values = ["value"]
  depends_on             = [azurerm_search_shared_private_link_service.openai]
}

data "azapi_resource_list" "storage_connections" {
  type                   = "Microsoft.Storage/storageAccounts/privateEndpointConnections@2023-05-01"
  parent_id              = azurerm_storage_account.documents.id
  response_export_values = ["value"]
  depends_on             = [azurerm_search_shared_private_link_service.blob]
}

locals {
  openai_connection_id = one([
    for c in data.azapi_resource_list.openai_connections.output.value : c.id
    if try(c.properties.privateLinkServiceConnectionState.description, "") == local.openai_request
  ])
  storage_connection_id = one([
    for c in data.azapi_resource_list.storage_connections.output.value : c.id
    if try(c.properties.privateLinkServiceConnectionState.description, "") == local.storage_request
  ])
}

resource "azapi_update_resource" "approve_openai_link" {
  type        = "Microsoft.CognitiveServices/accounts/privateEndpointConnections@2024-10-01"
  resource_id = local.openai_connection_id

  body = {
    properties = {
      privateLinkServiceConnectionState = {
        status      = "Approved"
        description = local.openai_request
      }
    }
  }
}

resource "azapi_update_resource" "approve_storage_link" {
  type        = "Microsoft.Storage/storageAccounts/privateEndpointConnections@2023-05-01"
  resource_id = local.storage_connection_id

  body = {
    properties = {
      privateLinkServiceConnectionState = {
        status      = "Approved"
        description = local.storage_request
      }
    }
  }
}

# search-rbac-openai: the vectorizer calls the embedding model as Search's identity.
resource "azurerm_role_assignment" "search_openai_user" {
  scope                = azurerm_cognitive_account.openai.id
  role_definition_name = "Cognitive Services OpenAI User"
  principal_id         = azurerm_search_service.lab.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

# search-rbac-storage: the indexer reads the documents as Search's identity.
resource "azurerm_role_assignment" "search_blob_reader" {
  scope                = azurerm_storage_account.documents.id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = azurerm_search_service.lab.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

# search-diagnostics-to-law
resource "azurerm_monitor_diagnostic_setting" "search" {
  name                       = "to-law"
  target_resource_id         = azurerm_search_service.lab.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.lab.id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}

# The advisory checks are left as stretch goals: search-cmk-enforced needs a Key Vault key with purge
# protection (customer_managed_key_enforcement_enabled = true), and search-exfiltration-blocked needs
# dataExfiltrationProtections = ["BlockAll"] through azapi. Both are worth 0 points.
#
# Search Basic bills by the hour: run `terraform destroy` when you are done.
