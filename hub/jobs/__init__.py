"""Background work: the periodic sweep, grace periods and retention; jobs call services."""
