"""Event streams: waking streams when a transaction commits, the outbox, presence, the loop."""
