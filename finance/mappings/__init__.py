"""Settlement mappings shipped with orderhub (YAML package data)."""
