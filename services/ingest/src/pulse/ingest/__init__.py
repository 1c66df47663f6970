"""Pulse ingest service: Validates and normalises events (our envelope and vendor webhooks)
onto Kafka topics keyed by account.
"""
