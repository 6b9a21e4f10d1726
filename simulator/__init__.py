"""A local simulator of the Taobao/Tmall, JD, Pinduoduo and Douyin order APIs.

Tests, ``orderhub demo`` and ``bench/pull.py`` pull from it as they would from the real
gateways: signatures, windows and paging are checked, faults are injected on demand, and the
orders (from :mod:`orderhub.synth`) keep changing over time.
"""

from .faults import Faults
from .gateway import Credentials, demo_credentials
from .server import Simulator
from .world import Clock, World

__all__ = ["Clock", "Credentials", "Faults", "Simulator", "World", "demo_credentials"]
