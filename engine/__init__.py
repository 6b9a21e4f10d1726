"""The engine: risk rules over orders (compiled from ``rules/*.rules`` by :mod:`orderhub.dsl`)
and routing flows that pick a warehouse and reserve stock (``flows/*.yaml``).

docs/architecture.md says where each part lives."""
