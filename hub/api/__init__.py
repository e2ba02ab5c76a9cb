"""HTTP: dependencies (who is calling), error handlers, response schemas and the routers."""
