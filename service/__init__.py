"""The orderhub service: exactly-once event processing, hot reload, a durable outbox, workers.

Public API::

    from orderhub.service import Service, Evaluator, Evaluation, OrderAction, Message, Versions
    Service(workspace, mode="run").run()          # what `orderhub run` does
    Outbox(engine).list(status="dead"); Outbox(engine).retry(id)
    state.status(engine, consumer)                # what `orderhub status` shows
    state.request_reload(engine)                  # what `orderhub reload` does
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "OrderAction": "evaluator", "ServiceContext": "evaluator", "Evaluation": "evaluator",
    "Evaluator": "evaluator", "EvaluatorFactory": "evaluator", "Message": "evaluator",
    "Versions": "evaluator", "load_factory": "evaluator",
    "Outbox": "outbox", "OutboxMessage": "outbox",
    "Service": "runner", "ServiceError": "runner",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    # Lazy, so that loading orderhub.yaml (which imports .config) stays cheap.
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(name)
