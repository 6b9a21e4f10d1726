"""The flow file format, as pydantic models (``extra="forbid"``: an unknown key is an error).

A flow file holds one flow: a name, an optional trigger (an order event plus an optional
condition), the id of the start node, and the nodes by id.  Node types come from the registry
here (:data:`REGISTRY`), which :mod:`orderhub.engine.routing.nodes` registers into;
:func:`flow_file_model` builds the discriminated union of all registered types, which is
also what ``orderhub schema flows`` prints.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from ...store.events import EVENT_TYPES

if TYPE_CHECKING:
    from .compiler import NodeCompiler
    from .runtime import Step

Loc = tuple[int | str, ...]
EventName = Literal[EVENT_TYPES]  # type: ignore[valid-type]


class NodeSpec(BaseModel):
    """Base of every node type.  Subclasses set ``type: Literal["name"]`` and implement
    :meth:`edges` (the node ids they may go to, with where each is written) and :meth:`compile`.
    """

    model_config = ConfigDict(extra="forbid")

    type: str
    description: str | None = Field(None, description="what this step is for (shown in traces)")

    #: a decision-like node must say where to go when nothing matched
    needs_default: ClassVar[bool] = False

    def edges(self) -> Iterable[tuple[Loc, str]]:
        """(where in the node, target node id) for every node this one may continue with."""
        return ()

    def calls(self) -> Iterable[tuple[Loc, str]]:
        """(where, flow name) for every sub-flow this node calls."""
        return ()

    def compile(self, c: NodeCompiler) -> Step:  # pragma: no cover - abstract
        raise NotImplementedError


class LinearNode(NodeSpec):
    """A node that does its work and continues with ``next`` (or ends the flow without it)."""

    next: str | None = Field(None, description="the node to continue with; none ends the flow")

    def edges(self) -> Iterable[tuple[Loc, str]]:
        return [(("next",), self.next)] if self.next else []


class Trigger(BaseModel):
    """When the flow runs: an order event from the store's event log, and an optional condition
    in the expression language (``status == "paid" and payment > 0``)."""

    model_config = ConfigDict(extra="forbid")

    event: EventName = Field(description="created, paid, updated, refund_requested, ...")
    when: str | None = Field(None, description="condition on the order (expression language)")


class FlowBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="the flow's name; default: the file name")
    description: str | None = None
    trigger: Trigger | None = Field(None, description="none: only called as a sub-flow")
    start: str = Field(description="id of the first node")


#: Node types by ``type`` tag.  The engine owns the registry; node packages register into it.
REGISTRY: dict[str, type[NodeSpec]] = {}

#: Packages whose import registers the built-in node types.  They are loaded by name on first
#: use (as SQLAlchemy loads its dialects), so the engine never imports the plugin layer above it.
NODE_PACKAGES = ("orderhub.engine.routing.nodes",)

N = typing.TypeVar("N", bound=type[NodeSpec])


def register(cls: N) -> N:
    """Class decorator: make a node type available to flows under its ``type`` tag."""
    spec: type[NodeSpec] = cls
    (tag,) = typing.get_args(spec.model_fields["type"].annotation)
    REGISTRY[tag] = cls
    flow_file_model.cache_clear()
    node_adapter.cache_clear()
    return cls


def node_types() -> dict[str, type[NodeSpec]]:
    """Every registered node type, after loading the packages that register them."""
    for name in NODE_PACKAGES:
        importlib.import_module(name)
    return REGISTRY


def _node_type() -> Any:
    specs = tuple(node_types().values())
    union: Any = specs[0] if len(specs) == 1 else Union[specs]  # noqa: UP007
    return Annotated[union, Field(discriminator="type")]


@cache
def node_adapter() -> TypeAdapter[Any]:
    """Validates one node against every registered node type (by its ``type`` tag)."""
    return TypeAdapter(_node_type())


@cache
def flow_file_model() -> type[FlowBase]:
    """The FlowFile model with a ``nodes`` map over every registered node type."""
    node = _node_type()
    model = create_model(
        "FlowFile",
        __base__=FlowBase,
        __doc__="One routing flow (orderhub flows/*.yaml).",
        # a union built at run time
        nodes=(dict[str, node], Field(min_length=1, description="the flow's nodes by id")),  # type: ignore[valid-type]
    )
    return model


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a flow file, for editors (yaml-language-server) and tests."""
    schema = flow_file_model().model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "orderhub flow"
    return schema
