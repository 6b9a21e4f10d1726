"""Built-in flow node types, registered by name.

A node type is a pydantic model (subclass of :class:`~orderhub.engine.flows.model.NodeSpec`,
with ``type: Literal["name"]``) whose ``compile`` returns a step function.  :func:`register`
adds one; the flow format, its JSON Schema and ``flows check`` pick it up from here.
"""

from __future__ import annotations

import typing

from ...engine.flows.model import NodeSpec, flow_file_model, node_adapter

REGISTRY: dict[str, type[NodeSpec]] = {}

N = typing.TypeVar("N", bound=type[NodeSpec])


def register(cls: N) -> N:
    """Class decorator: make a node type available to flows under its ``type`` tag."""
    (tag,) = typing.get_args(cls.model_fields["type"].annotation)
    REGISTRY[tag] = cls
    flow_file_model.cache_clear()
    node_adapter.cache_clear()
    return cls


from . import (  # noqa: E402 - registration order is the order in the schema and docs
    actions,
    decision,
    geofence,
    inventory,
    notify,
    output,
    subflow,
    table,
    threshold,
)

__all__ = ["REGISTRY", "register", "decision", "table", "geofence", "inventory", "threshold",
           "actions", "notify", "output", "subflow"]
