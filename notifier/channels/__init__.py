"""Channels that deliver notices: the outbox (files) and SendGrid. They never parse Markdown."""
