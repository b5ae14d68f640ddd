"""Plain helpers for the wiring in sanhe/: security headers, logging, health, cache settings."""
