"""The routing flows shipped with orderhub (YAML package data): the defaults a workspace without
its own ``flows/`` folder uses, and what ``orderhub init`` copies."""
