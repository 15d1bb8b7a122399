"""The ledger's Alembic migrations (``versions``), and the newest of them."""

# The revision of the last migration: a ledger at it needs no upgrade, which is known without
# loading Alembic (a test keeps this equal to the head of ``versions``).
HEAD_REVISION = "0004"
