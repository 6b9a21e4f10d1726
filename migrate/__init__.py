"""Migration from legacy systems: profile, clean, map, validate, import, roll back.

The Python API the ``orderhub migrate`` commands are a shell over::

    mapping = load_migration_mapping(Path("mapping.yaml"), status_map=Path("status-map.xlsx"))
    report = check(Path("old.csv"), mapping, store)       # dry-run, writes nothing
    report = run(store, Path("old.csv"), mapping)          # import; report.batch is the batch id
    rollback(store, report.batch)                          # undo exactly that batch
"""

from .batches import BatchInfo, list_batches, migration_batches, rollback
from .convert import (
    BATCH_PREFIX,
    Converted,
    Converter,
    Duplicate,
    RowReject,
    batch_id,
    load_migration_mapping,
)
from .importer import Report, check, run, write_rejects
from .sample import SampleReport, sample

__all__ = [
    "BATCH_PREFIX",
    "BatchInfo",
    "Converted",
    "Converter",
    "Duplicate",
    "Report",
    "RowReject",
    "SampleReport",
    "batch_id",
    "check",
    "list_batches",
    "load_migration_mapping",
    "migration_batches",
    "rollback",
    "run",
    "sample",
    "write_rejects",
]
