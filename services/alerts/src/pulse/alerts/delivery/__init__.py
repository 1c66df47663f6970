"""Webhook delivery around the pure core in `pulse.alerts.webhooks`: the outbox tables,
`enqueue` (called inside the alert engine's transaction), the dispatcher that claims, signs
and sends, the subscription management the API hands over to, and the metrics.

See docs/webhooks.md for what receivers get and every setting.
"""
