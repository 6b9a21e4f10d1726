"""One module per platform waybill system, behind :class:`~.base.Provider`."""

from __future__ import annotations

from .base import Parcel, Provider, Taken

__all__ = ["Parcel", "Provider", "Taken", "provider_class"]


def provider_class(platform: str) -> type[Provider]:
    """The provider for orders of ``platform`` (Taobao/Tmall orders take Cainiao numbers)."""
    from .cainiao import CainiaoProvider
    from .douyin import DouyinProvider
    from .jd import JdProvider
    from .pdd import PddProvider

    table: dict[str, type[Provider]] = {"taobao": CainiaoProvider, "pdd": PddProvider,
                                        "jd": JdProvider, "douyin": DouyinProvider}
    try:
        return table[platform]
    except KeyError:
        raise ValueError(f"no e-waybill system for {platform} orders") from None
