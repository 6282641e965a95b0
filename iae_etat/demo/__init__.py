"""The demo département: fictional SIAE and statistics on a real geography."""
