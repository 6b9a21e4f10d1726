"""Warehouses as the workspace config declares them, and the network the router computes on.

:class:`WarehouseConfig` is the ``warehouses:`` section of ``orderhub.yaml``.  :class:`Network`
is that list compiled for routing: each warehouse's coordinates, and per destination (cached) the
warehouses ordered by distance, so the hot path of a flow is a few dict lookups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from ...dsl import yamlfile
from ...geo import Geo, default_geo
from ...geo.lookup import haversine_km


class Lead(BaseModel):
    """The warehouse lead: who is told about orders (WeCom user id, mobile phone)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    wecom: str | None = Field(None, description="WeCom user id, @-mentioned in robot messages")
    phone: str | None = Field(None, description="mobile number for SMS")


class WarehouseConfig(BaseModel):
    """One warehouse in ``orderhub.yaml``."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, description="short code used in flows, e.g. SH-COLD")
    name: str = Field(min_length=1)
    province: str
    city: str
    district: str | None = None
    location: tuple[float, float] | None = Field(
        None, description="[latitude, longitude] of the warehouse itself; default: the centre "
                          "of its district or city (distances to it order fallbacks and "
                          "diversions, so a warehouse far out of town may want it)")
    regions: list[str] = Field(default_factory=list, description="regions it is primary for")
    capabilities: list[str] = Field(default_factory=list, description="e.g. cold_chain")
    takes_any: bool = Field(
        False, description="with capabilities: also take orders that need none of them when "
                           "routing falls back or diverts to it (default: only orders that "
                           "need one, so ordinary goods never overflow into a cold store)")
    daily_threshold: int | None = Field(None, ge=0, description="pending orders a day")
    lead: Lead | None = None
    wecom_webhook: str | None = Field(None, description="WeCom group-robot webhook URL")
    wms_url: str | None = Field(None, description="WMS endpoint orders are pushed to")


@dataclass(slots=True)
class Warehouse:
    """A compiled warehouse: its config plus coordinates."""

    code: str
    config: WarehouseConfig
    coords: tuple[float, float] | None
    threshold: int | None
    capabilities: frozenset[str] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        return self.config.name

    def accepts(self, wants: frozenset[str]) -> bool:
        """Whether a fallback or a diversion may send it an order needing ``wants``: a
        warehouse with capabilities takes only orders that need one (unless ``takes_any``)."""
        return not self.capabilities or self.config.takes_any or bool(wants & self.capabilities)


@dataclass(frozen=True, slots=True)
class Destination:
    """Where an order goes, resolved once per distinct (province, city, district, address).

    It is also the routing plan for that place, worked out once and shared by every order
    going there: ``where`` (the place as text, for traces) and ``nearest`` (every warehouse,
    nearest first, with its distance)."""

    province: str | None
    city: str | None
    district: str | None
    region: str | None
    coords: tuple[float, float] | None
    source: str  # "receiver fields", "address text" or "unknown"
    where: str = field(default="", compare=False)
    nearest: tuple[tuple[str, float | None], ...] = field(default=(), compare=False)


class Network:
    """The warehouses, the geography, and cached destination lookups and distance orders."""

    def __init__(self, warehouses: Sequence[WarehouseConfig], geo: Geo | None = None) -> None:
        self.geo = geo or default_geo()
        self.configs = list(warehouses)
        self.warehouses: dict[str, Warehouse] = {}
        for w in self.configs:
            coords = w.location or self.geo.coords(w.province, w.city, w.district)
            self.warehouses[w.code] = Warehouse(w.code, w, coords, w.daily_threshold,
                                                frozenset(w.capabilities))
        #: every capability some warehouse has: the item attributes that make an order need one
        self.capabilities = frozenset().union(*(w.capabilities
                                                for w in self.warehouses.values()))
        self._dest: dict[tuple[str | None, ...], Destination] = {}
        self._nearest: dict[tuple[float, float] | None, tuple[tuple[str, float | None], ...]] = {}

    @property
    def codes(self) -> list[str]:
        return list(self.warehouses)

    def __contains__(self, code: object) -> bool:
        return code in self.warehouses

    def destination(self, province: str | None, city: str | None, district: str | None,
                    address: str | None) -> Destination:
        """Region and coordinates of a receiver: structured fields first, else parsed text."""
        key = (province, city, district, None if province or city else address)
        found = self._dest.get(key)
        if found is None:
            found = self._resolve(*key)
            if len(self._dest) < 200_000:
                self._dest[key] = found
        return found

    def _resolve(self, province: str | None, city: str | None, district: str | None,
                 address: str | None) -> Destination:
        geo = self.geo
        source = "receiver fields"
        prov = geo.normalize_province(province)
        place = geo.city(city, prov) if city else None
        if prov is None and place is not None:
            prov = place.province
        if prov is None and address:
            parsed = geo.parse_address(address)
            prov, district, source = parsed.province, parsed.district, "address text"
            place = geo.city(parsed.city, prov) if parsed.city else None
        if prov is None:
            return Destination(None, None, None, None, None, "unknown", "",
                               self.by_distance(None))
        city_name = place.name if place else None
        coords = geo.coords(prov, city_name, district)
        where = " ".join(p for p in (prov, city_name, district) if p)
        return Destination(prov, city_name, district, geo.region_of(prov), coords, source, where,
                           self.by_distance(coords))

    def by_distance(self, coords: tuple[float, float] | None
                    ) -> tuple[tuple[str, float | None], ...]:
        """All warehouses nearest first from ``coords`` (config order when unknown)."""
        found = self._nearest.get(coords)
        if found is None:
            if coords is None:
                found = tuple((code, None) for code in self.warehouses)
            else:
                pairs = [(code, haversine_km(coords, w.coords) if w.coords else None)
                         for code, w in self.warehouses.items()]
                pairs.sort(key=lambda p: float("inf") if p[1] is None else p[1])
                found = tuple(pairs)
            self._nearest[coords] = found
        return found

    def primary_for(self, region: str | None) -> list[str]:
        """Warehouses that list ``region`` among the regions they serve, in config order."""
        return [w.code for w in self.configs if region and region in w.regions]


#: The example warehouse set: the ``warehouses:`` list of the workspace template that ``orderhub
#: init`` writes, and what routing uses when a config names none.  It lives here, not in the
#: workspace module, so the engine never imports the layer above it.
EXAMPLE_WAREHOUSES = """\
  - {code: SH-COLD, name: 上海冷链仓, province: 上海市, city: 上海市, district: 嘉定区,
     capabilities: [cold_chain], daily_threshold: 800,
     lead: {name: 陈冷, wecom: chen.leng, phone: "13800000001"}}
  - {code: SH, name: 上海仓, province: 上海市, city: 上海市, district: 青浦区,
     regions: [华东], daily_threshold: 500,
     lead: {name: 王华东, wecom: wang.huadong, phone: "13800000002"}}
  - {code: GZ, name: 广州仓, province: 广东省, city: 广州市, district: 白云区,
     regions: [华南], daily_threshold: 500,
     lead: {name: 李华南, wecom: li.huanan, phone: "13800000003"}}
  - {code: BJ, name: 北京仓, province: 北京市, city: 北京市, district: 大兴区,
     regions: [华北, 东北], daily_threshold: 500,
     lead: {name: 赵华北, wecom: zhao.huabei, phone: "13800000004"}}
  - {code: CD, name: 成都仓, province: 四川省, city: 成都市, district: 双流区,
     regions: [西南, 西北], daily_threshold: 500,
     lead: {name: 刘西南, wecom: liu.xinan, phone: "13800000005"}}
  - {code: WH, name: 武汉仓, province: 湖北省, city: 武汉市, district: 东西湖区,
     regions: [华中], daily_threshold: 500,
     lead: {name: 周华中, wecom: zhou.huazhong, phone: "13800000006"}}
"""


def default_warehouses() -> list[WarehouseConfig]:
    """The example warehouse set (used when a config has none)."""
    data = yamlfile.parse(EXAMPLE_WAREHOUSES, "<config template>")
    return [WarehouseConfig.model_validate(w) for w in data]
