"""Field mappings shipped with orderhub (YAML package data): one per platform API response and
export format, read by :mod:`orderhub.connectors.mapping`."""
