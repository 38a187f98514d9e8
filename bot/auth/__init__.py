"""Personal login for the web pages: one-time links, session cookies, CSRF tokens, and who the API token speaks for."""
