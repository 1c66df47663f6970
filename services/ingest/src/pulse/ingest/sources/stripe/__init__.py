"""Stripe webhooks: `adapter.StripeAdapter` turns Stripe events into Pulse envelopes."""
