output "labcheck_resource_group" {
  description = "Pass it to labcheck: labcheck verify azure-ai-content-safety-gateway --input resource_group=<this>."
  value       = azurerm_resource_group.lab.name
}

output "gateway_url" {
  description = "The API Management gateway; call <gateway_url>/openai/deployments/<model>/chat/completions."
  value       = azurerm_api_management.gateway.gateway_url
}

output "openai_endpoint" {
  description = "The Azure OpenAI endpoint behind the gateway (keys disabled: only the gateway's identity gets in)."
  value       = azurerm_cognitive_account.openai.endpoint
}

output "content_safety_endpoint" {
  description = "The Content Safety endpoint the gateway screens prompts with."
  value       = azurerm_cognitive_account.content_safety.endpoint
}
