"""The notice ledger: notices, recipients, one row per notice x recipient x channel, and events."""
