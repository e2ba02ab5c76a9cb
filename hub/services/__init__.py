"""Use cases: one audited transaction each, called by routers and jobs (never by routers)."""
