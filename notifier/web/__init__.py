"""The HTTP side: SendGrid's Event Webhook (and, later, the in-app notice API)."""
