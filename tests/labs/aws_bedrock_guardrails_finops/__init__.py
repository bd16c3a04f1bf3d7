"""Cases of lab aws-bedrock-guardrails-finops (a package, so its test_checks.py does not clash with other labs')."""
