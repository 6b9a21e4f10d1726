"""The expression and rule language: grammar, typed syntax tree, checker, compiler.

Other packages use only what is exported here (``__all__``), so the language's insides can
change without touching them::

    expr = compile_expression("payment > 100", filename="flows/x.yaml", line=3, column=9,
                              expect=ExprType.BOOL)
    expr(EvalContext(order=order, now=now, history=store))
"""

from .context import EvalContext, HistorySource, MemoryHistory
from .expression import CompiledExpression, compile_expression, evaluate
from .types import ExprType, FieldSpec, RecordType, dict_record, order_record

__all__ = [
    "CompiledExpression",
    "EvalContext",
    "ExprType",
    "FieldSpec",
    "HistorySource",
    "MemoryHistory",
    "RecordType",
    "compile_expression",
    "dict_record",
    "evaluate",
    "order_record",
]
