"""Helpers for testing labs: in-memory fakes of each provider view and mock-cloud plumbing."""
