"""Vendor webhook adapters: each turns one vendor's payload into Pulse envelopes."""
