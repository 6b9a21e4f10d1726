"""The workspace: a folder with ``orderhub.yaml``, rules, flows, the catalog and the database.

Every command runs against one workspace (``--workspace``, ``ORDERHUB_WORKSPACE``, or the current
folder).  Paths in the config are relative to the workspace; a workspace without ``rules/`` or
``flows/`` uses the defaults shipped with orderhub.
"""

from __future__ import annotations

import os
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .catalog import Catalog
from .dsl import yamlfile
from .finance.config import FinanceConfig
from .model import DEFAULT_TZ

CONFIG_NAME = "orderhub.yaml"


class WorkspaceConfig(BaseModel):
    """``orderhub.yaml``.  Sections for shops, warehouses, channels and finance join here."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(DEFAULT_TZ, description="the shops' timezone for 'today' and windows")
    database: str | None = Field(None, description="SQLAlchemy URL; default: orderhub.db here")
    catalog: str = "catalog.csv"
    rules: str = "rules"
    flows: str = "flows"
    mappings: str = "mappings"
    finance: FinanceConfig = Field(default_factory=FinanceConfig)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from .connectors.transforms import zone

        zone(value)
        return value


class Workspace:
    """A loaded workspace.  Expensive parts (store, catalog) are opened on first use."""

    def __init__(self, root: Path, config: WorkspaceConfig, *, db_url: str | None = None) -> None:
        self.root = root
        self.config = config
        self._db_url = db_url

    @classmethod
    def load(cls, root: Path | str | None = None, *, db_url: str | None = None) -> Workspace:
        root = Path(root or os.environ.get("ORDERHUB_WORKSPACE") or ".").resolve()
        path = root / CONFIG_NAME
        config = yamlfile.load_model(WorkspaceConfig, path) if path.is_file() \
            else WorkspaceConfig()
        return cls(root, config, db_url=db_url or os.environ.get("ORDERHUB_DB"))

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def db_url(self) -> str:
        url = self._db_url or self.config.database
        if url is None:
            return f"sqlite:///{self.root / 'orderhub.db'}"
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            return f"sqlite:///{self.path(url[len('sqlite:///'):])}"
        return url

    @cached_property
    def store(self) -> Any:
        from .store import OrderStore

        return OrderStore.open(self.db_url)

    @cached_property
    def catalog(self) -> Catalog:
        path = self.path(self.config.catalog)
        return Catalog.load(path) if path.is_file() else Catalog()

    def content_dir(self, kind: str) -> Path:
        """The workspace's ``rules/`` or ``flows/``, else the defaults shipped with orderhub."""
        own = self.path(getattr(self.config, kind))
        if own.is_dir():
            return own
        return Path(str(resources.files(f"orderhub.{kind}")))

    @property
    def mapping_dirs(self) -> list[Path]:
        folder = self.path(self.config.mappings)
        return [folder] if folder.is_dir() else []


CONFIG_TEMPLATE = """\
# orderhub workspace configuration. Paths are relative to this folder.
# yaml-language-server: $schema=https://orderhub.invalid/schema/workspace.json

# The shops' timezone: "today" in rules and the active windows of promo rules use it.
timezone: Asia/Shanghai

# Where orders are stored. Default: SQLite in this folder (orderhub.db).
# For several workers on several machines use PostgreSQL, e.g.
#   database: postgresql://orderhub@db.internal:5432/orderhub
# database: sqlite:///orderhub.db

# Product catalog (sku, title, category, cold_chain, weight_kg, price).
catalog: catalog.csv
"""


def bundled_examples() -> Path | None:
    """The ``examples/`` folder of a source checkout (the repository root is the package)."""
    folder = Path(__file__).resolve().parent / "examples"
    return folder if (folder / "orders").is_dir() else None


def init_workspace(root: Path, *, samples: bool = True) -> list[Path]:
    """Create a workspace: config, rules, flows, catalog and sample data.  Never overwrites."""
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(target: Path, write: Any) -> None:
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            write(target)
            written.append(target)

    put(root / CONFIG_NAME, lambda p: p.write_text(CONFIG_TEMPLATE, encoding="utf-8"))
    for kind in ("rules", "flows"):
        source = Path(str(resources.files(f"orderhub.{kind}")))
        for item in sorted(source.iterdir()):
            if item.suffix in (".yaml", ".rules", ".csv"):
                put(root / kind / item.name, lambda p, s=item: shutil.copyfile(s, p))
    examples = bundled_examples()
    if examples is None:
        from .synth import examples as synth_examples

        examples = root / ".generated-examples"
        synth_examples.write_examples(examples)
    put(root / "catalog.csv", lambda p: shutil.copyfile(examples / "catalog.csv", p))
    if samples:
        put(root / "samples", lambda p: shutil.copytree(examples, p))
    return written
