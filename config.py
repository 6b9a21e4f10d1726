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
from .connectors.shops import ShopConfig
from .dsl import yamlfile
from .engine.recipients import Recipient, Recipients
from .engine.routing.warehouses import EXAMPLE_WAREHOUSES, WarehouseConfig, default_warehouses
from .errors import NotFound
from .finance.config import FinanceConfig
from .fulfilment.config import FulfilmentConfig
from .kpi.config import KpiConfig
from .model import CONFIG_NAME, DEFAULT_TZ
from .service.config import ServiceConfig
from .waybills.config import WaybillsConfig
from .web.config import WebConfig


class WorkspaceConfig(BaseModel):
    """``orderhub.yaml``.  Sections for shops, warehouses, channels and finance join here."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(DEFAULT_TZ, description="the shops' timezone for 'today' and windows")
    database: str | None = Field(None, description="SQLAlchemy URL; default: orderhub.db here")
    catalog: str = "catalog.csv"
    rules: str = "rules"
    flows: str = "flows"
    lists: str = Field("lists", description="lists and lookup tables (*.txt, *.csv) that rules "
                       "read by name: list(\"blacklist\"), lookup(...)")
    mappings: str = "mappings"
    # -- routing flows (engine/routing) --
    stock: str = Field("stock.csv", description="stock CSV imported by `orderhub stock import`")
    warehouses: list[WarehouseConfig] = Field(default_factory=list)
    regions: dict[str, list[str]] | None = Field(
        None, description="region -> provinces, overriding the default split (华东, 华南...)")
    recipients: dict[str, Recipient] = Field(
        default_factory=dict,
        description="people, groups and WeCom robots rules and flows notify by name: "
                    "notify wecom to \"店长\" \"...\" (flows: to: 店长)")
    service: ServiceConfig = Field(default_factory=ServiceConfig,
                                   description="orderhub run / worker: schedules, queue, outbox")
    # -- connectors: shops to pull --
    shops: list[ShopConfig] = Field(
        default_factory=list, description="authorised shops to pull (connectors/shops.py)")
    finance: FinanceConfig = Field(default_factory=FinanceConfig)
    waybills: WaybillsConfig = Field(default_factory=WaybillsConfig,
                                     description="e-waybill accounts and senders per warehouse")
    fulfilment: FulfilmentConfig = Field(
        default_factory=FulfilmentConfig, description="review queues and their SLA")
    web: WebConfig = Field(default_factory=WebConfig, description="the staff console")
    kpi: KpiConfig = Field(default_factory=KpiConfig,
                           description="ship deadlines per platform, the weekly digest")

    @field_validator("recipients")
    @classmethod
    def _known_members(cls, value: dict[str, Recipient]) -> dict[str, Recipient]:
        problems = Recipients(value).problems()
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from .connectors.transforms import zone

        zone(value)
        return value


class Workspace:
    """A loaded workspace.  Expensive parts (store, catalog) are opened on first use."""

    def __init__(self, root: Path, config: WorkspaceConfig, *, db_url: str | None = None,
                 create: bool = True) -> None:
        self.root = root
        self.config = config
        self._db_url = db_url
        #: may opening the store create a missing SQLite file?  The CLI says no, so a typo in
        #: ``--db`` or ``-w``, or a command run outside a workspace, never makes a database;
        #: only ``init``, ``db upgrade`` and a workspace's own configured database create one.
        self.create = create

    @classmethod
    def load(cls, root: Path | str | None = None, *, db_url: str | None = None,
             create: bool = True) -> Workspace:
        """The workspace at ``root``; with ``create=False`` a folder that is not there is
        :class:`NotFound` rather than made later by opening the store."""
        root = Path(root or os.environ.get("ORDERHUB_WORKSPACE") or ".").resolve()
        if not create and not root.is_dir():
            raise NotFound(f"no workspace folder {root}: check -w/ORDERHUB_WORKSPACE, or create "
                           f"one with `orderhub init {root}`")
        path = root / CONFIG_NAME
        config = yamlfile.load_model(WorkspaceConfig, path) if path.is_file() \
            else WorkspaceConfig()
        return cls(root, config, db_url=db_url or os.environ.get("ORDERHUB_DB"), create=create)

    @property
    def is_workspace(self) -> bool:
        """Whether the folder holds an ``orderhub.yaml`` (else the defaults are in use)."""
        return (self.root / CONFIG_NAME).is_file()

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def db_url(self) -> str:
        """The database URL (checked: a malformed or unsupported one is exit 2)."""
        from .store.db import check_url

        url = self._db_url or self.config.database
        if url is None:
            return f"sqlite:///{self.root / 'orderhub.db'}"
        check_url(url)
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            return f"sqlite:///{self.path(url[len('sqlite:///'):])}"
        return url

    @property
    def database_exists(self) -> bool:
        """False when the database is a SQLite file that is not there (a server database is
        taken to exist; connecting says otherwise, exit 3)."""
        from .store.db import sqlite_path

        path = sqlite_path(self.db_url)
        return path is None or path.is_file()

    @property
    def existing_store(self) -> Any:
        """The store when its database is there, else None: read-only work (a dry run, a
        migration check) never creates a database by looking."""
        return self.store if self.database_exists else None

    def require_database(self) -> None:
        """:class:`NotFound` (exit 4) naming what is missing, when the database is not there."""
        from .store.db import sqlite_path

        if self.database_exists:
            return
        where = sqlite_path(self.db_url)
        if self._db_url:
            raise NotFound(f"no database at {where} (from --db/ORDERHUB_DB {self._db_url!r}); "
                           "check the path, or create it with `orderhub --db URL db upgrade`")
        if not self.is_workspace:
            raise NotFound(f"{self.root} is not a workspace (no {CONFIG_NAME}): pass -w DIR, "
                           "cd into one, or create one with `orderhub init DIR`")
        raise NotFound(f"no database at {where}: create it with "
                       f"`orderhub -w {self.root} db upgrade`")

    @cached_property
    def store(self) -> Any:
        from .store import OrderStore

        if not self.create and (self._db_url or not self.is_workspace):
            self.require_database()
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
# yaml-language-server: $schema=./orderhub.schema.json
# (written by `orderhub init`; `orderhub schema workspace` prints it again after an upgrade)

# The shops' timezone: "today" in rules and the active windows of promo rules use it.
timezone: Asia/Shanghai

# Where orders are stored. Default: SQLite in this folder (orderhub.db).
# For several workers on several machines use PostgreSQL, e.g.
#   database: postgresql://orderhub@db.internal:5432/orderhub
# database: sqlite:///orderhub.db

# Product catalog (sku, title, category, cold_chain, weight_kg, price).
catalog: catalog.csv

# Warehouses the routing flows (flows/*.yaml) assign orders to. regions: the regions a
# warehouse is the first choice for; daily_threshold: pending orders a day before new orders
# are diverted to the nearest warehouse below its own threshold. capabilities: a warehouse with
# some takes only orders that need one of them when routing falls back or diverts to it
# (add takes_any: true to let ordinary goods overflow into it).
warehouses:
""" + EXAMPLE_WAREHOUSES + """
# Stock per warehouse and merchant SKU: `orderhub stock import stock.csv`.
stock: stock.csv
"""


def bundled_examples() -> Path | None:
    """The ``examples/`` folder of a source checkout (the repository root is the package)."""
    folder = Path(__file__).resolve().parent / "examples"
    return folder if (folder / "orders").is_dir() else None


def _write_sample_stock(path: Path, catalog: Path) -> None:
    from .engine.routing.stock import write_sample_stock

    write_sample_stock(path, Catalog.load(catalog) if catalog.is_file() else Catalog(),
                       default_warehouses())


def _write_flow_schema(path: Path) -> None:
    """The flows' JSON Schema, named by the ``yaml-language-server`` comment of each flow."""
    import json

    from .engine.routing import json_schema

    path.write_text(json.dumps(json_schema(), ensure_ascii=False, indent=2), encoding="utf-8")


def workspace_schema() -> dict[str, Any]:
    """The JSON Schema of ``orderhub.yaml`` (from :class:`WorkspaceConfig`)."""
    schema = WorkspaceConfig.model_json_schema()
    schema["title"] = "orderhub workspace (orderhub.yaml)"
    return schema


def _write_workspace_schema(path: Path) -> None:
    import json

    path.write_text(json.dumps(workspace_schema(), ensure_ascii=False, indent=2), encoding="utf-8")


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
    put(root / "orderhub.schema.json", _write_workspace_schema)
    for kind in ("rules", "flows"):
        source = Path(str(resources.files(f"orderhub.{kind}")))
        for item in sorted(source.iterdir()):
            if item.suffix in (".yaml", ".rules", ".csv"):
                put(root / kind / item.name, lambda p, s=item: shutil.copyfile(s, p))
    examples = bundled_examples()
    if examples is None:
        from .synth import examples as synth_examples

        examples = root / ".generated-examples"
        synth_examples.main([str(examples)])
    put(root / "catalog.csv", lambda p: shutil.copyfile(examples / "catalog.csv", p))
    put(root / "stock.csv", lambda p: _write_sample_stock(p, root / "catalog.csv"))
    put(root / "flows" / "flow.schema.json", _write_flow_schema)
    if samples:
        put(root / "samples", lambda p: shutil.copytree(examples, p))
    return written
