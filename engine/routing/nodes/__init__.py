"""Built-in flow node types, registered by name.

A node type is a pydantic model (subclass of :class:`~orderhub.engine.routing.model.NodeSpec`,
with ``type: Literal["name"]``) whose ``compile`` returns a step function.  :func:`register`
adds one; the flow format, its JSON Schema and ``flows check`` pick it up from there.  The
registry is the engine's (:mod:`orderhub.engine.routing.model`): these modules register into it,
and the engine never imports them.
"""

from __future__ import annotations

from ..model import REGISTRY, register

# isort: off
from . import (  # noqa: E402 - registration order is the order in the schema and docs
    outcome,
    decision,
    geofence,
    inventory,
    notify,
    output,
    subflow,
    table,
    threshold,
)
# isort: on

__all__ = ["REGISTRY", "register", "decision", "table", "geofence", "inventory", "threshold",
           "outcome", "notify", "output", "subflow"]
