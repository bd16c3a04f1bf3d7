"""Cases of lab azure-ai-content-safety-gateway (a package, so its module names never clash with other labs')."""
