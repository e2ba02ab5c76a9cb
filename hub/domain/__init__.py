"""Pure rules: no database, no web framework, no clock of their own (the time is an argument)."""
