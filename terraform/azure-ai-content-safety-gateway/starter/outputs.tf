output "labcheck_resource_group" {
  description = "Pass it to labcheck: labcheck verify azure-ai-content-safety-gateway --input resource_group=<this>."
  value       = azurerm_resource_group.lab.name
}

output "openai_endpoint" {
  description = "The Azure OpenAI endpoint (the gateway will call it)."
  value       = azurerm_cognitive_account.openai.endpoint
}

# TODO (gw-apim-exists): once the gateway exists, output azurerm_api_management.gateway.gateway_url too.
