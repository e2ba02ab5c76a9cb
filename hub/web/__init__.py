"""Web pages the hub serves (the CS console) and their static files."""
