"""One router per concern; thin: parse, authorise, call a service, answer."""
