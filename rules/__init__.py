"""The risk rules shipped with orderhub (``*.rules`` package data): the defaults a workspace
without its own ``rules/`` folder uses, and what ``orderhub init`` copies."""
