"""The Chinese web console: the only thing a browser talks to; it calls the three services with the person's token."""
