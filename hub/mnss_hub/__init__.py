"""Hub side of MNSS Lab: site config schema and apply, authenticator, spawners, templates."""

__version__ = "0.1.0"
