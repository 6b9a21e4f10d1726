"""The simulator as a real HTTP server (stdlib ``ThreadingHTTPServer``).

    with Simulator(port=0, seed=1) as sim:      # port 0: any free port
        sim.url                                  # http://127.0.0.1:PORT
        sim.shops()                              # ShopConfigs pointing here (+ env vars set)
        sim.set_faults(rate_limit=3)             # or POST {"rate_limit": 3} to /_sim/faults
        sim.requests                             # what clients sent (the request log)

Control endpoints (JSON): ``GET /_sim/state``, ``GET /_sim/log``, ``POST /_sim/faults``,
``POST /_sim/tick`` ``{"new": 10, "changes": 5}``, ``POST /_sim/clock`` ``{"advance": 600}``,
``POST /_sim/refund`` ``{"platform": "jd", "order_no": "..."}`` (the buyer asks for a refund).
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import MutableMapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..connectors.http import redact
from ..connectors.shops import WINDOW_LIMITS, ShopConfig
from .dygw import DouyinGateway
from .faults import FaultBox, Faults
from .gateway import Credentials, Gateway, SimRequest, SimResponse, demo_credentials
from .jos import JosGateway
from .pddgw import BILL_PATH, PddGateway
from .privacy import DecryptApis, Privacy, PrivacySettings
from .shipping import request_refund
from .top import TopGateway
from .waybill_desk import WaybillDesk
from .world import Clock, World

GATEWAYS: tuple[type[Gateway], ...] = (TopGateway, JosGateway, PddGateway, DouyinGateway)
SHOP_IDS = {"taobao": "57301234", "jd": "10086321", "pdd": "102345678", "douyin": "8123456"}


class Simulator:
    """Four platforms' gateways on one local port, sharing one world of orders."""

    def __init__(self, *, port: int = 0, host: str = "127.0.0.1", seed: int = 1,
                 orders: int = 200, history_hours: float = 6, rate: float = 0.0,
                 faults: Faults | None = None, clock: Clock | None = None,
                 credentials: dict[str, Credentials] | None = None,
                 privacy: PrivacySettings | None = None) -> None:
        self.world = World(seed=seed, orders=orders, history_hours=history_hours,
                           clock=clock or Clock())
        self.faults = FaultBox(faults)
        creds = credentials or {}
        self.gateways = {g.platform: g(self.world, self.faults, creds.get(g.platform))
                         for g in GATEWAYS}
        self.routes = {path: gw for gw in self.gateways.values() for path in gw.routes}
        #: receivers encrypted (``encrypt_receivers``) and the decrypt APIs' quotas
        self.privacy = Privacy(seed, privacy)
        for gw in self.gateways.values():
            gw.privacy = self.privacy
            gw.decrypt_apis = DecryptApis(gw, self.privacy)
            self.routes.update(dict.fromkeys(gw.decrypt_apis.routes, gw))
        self.rate = rate
        self.requests: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.pdd.base_url = self.url
        self.waybills = WaybillDesk()  # e-waybill numbers of all four platforms
        for gw in self.gateways.values():
            gw.desk = self.waybills  # type: ignore[attr-defined]

    # -- life ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"  # type: ignore[str-bytes-safe]  # TCP: text

    @property
    def pdd(self) -> PddGateway:
        return self.gateways["pdd"]  # type: ignore[return-value]

    def start(self) -> Simulator:
        serve = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                 name="simulator", daemon=True)
        serve.start()
        self._threads.append(serve)
        if self.rate > 0:
            stream = threading.Thread(target=self.world.run, args=(self.rate, self._stop),
                                      name="simulator-stream", daemon=True)
            stream.start()
            self._threads.append(stream)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (``orderhub simulator``)."""
        self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # -- control ---------------------------------------------------------------------------

    def set_faults(self, **changes: Any) -> Faults:
        return self.faults.set(**changes)

    def credentials(self, platform: str) -> Credentials:
        return self.gateways[platform].creds

    def shops(self, env: MutableMapping[str, str] | None = None,
              **settings: Any) -> list[ShopConfig]:
        """One shop per platform pointing here, its secrets put in ``env`` (default
        ``os.environ``) under ``SIM_<PLATFORM>_SECRET`` / ``_TOKEN`` / ``_REFRESH``.

        ``settings`` are ShopConfig fields per platform name, or for ``all``; a window longer
        than a platform allows is cut to its limit."""
        import os

        target = os.environ if env is None else env
        out = []
        for platform, gw in self.gateways.items():
            prefix = f"SIM_{platform.upper()}"
            target[f"{prefix}_SECRET"] = gw.creds.secret
            target[f"{prefix}_TOKEN"] = gw.creds.token
            target[f"{prefix}_REFRESH"] = gw.creds.refresh_token
            extra = dict(settings.get(platform, settings.get("all", {})))
            window = dict(extra.pop("window", {}))
            if window.get("minutes"):
                window["minutes"] = min(int(window["minutes"]), WINDOW_LIMITS[platform][0])
            fields: dict[str, Any] = {
                "name": f"sim-{platform}", "platform": platform, "shop_id": SHOP_IDS[platform],
                "app_key": gw.creds.app_key, "secret_env": f"{prefix}_SECRET",
                "token_env": f"{prefix}_TOKEN", "refresh_token_env": f"{prefix}_REFRESH",
                "base_url": self.url, "window": window,
                "oauth_url": f"{self.url}{OAUTH_PATH}{platform}/authorize"}
            out.append(ShopConfig(**{**fields, **extra}))
        return out

    def request_refund(self, platform: str, order_no: str) -> Any:
        """Put an order into refunding now (the next pull and ship call see it)."""
        return request_refund(self.world, platform, order_no)

    def state(self) -> dict[str, Any]:
        return {"url": self.url, "now": self.world.clock.now(),
                "orders": {p: self.world.count(p) for p in self.world.platforms},
                "changes": self.world.changes, "requests": len(self.requests),
                "faults": self.faults.faults.to_dict()}

    def log(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            entry["seq"] = len(self.requests) + 1
            self.requests.append(entry)

    def calls(self, platform: str | None = None, api: str | None = None) -> list[dict[str, Any]]:
        with self._log_lock:
            return [e for e in self.requests
                    if (platform is None or e.get("platform") == platform)
                    and (api is None or e.get("api") == api)]

    # -- dispatch --------------------------------------------------------------------------

    def dispatch(self, req: SimRequest) -> SimResponse:
        if req.path.startswith("/_sim/"):
            return self._control(req)
        gw = self.routes.get(req.path)
        if gw is None:
            return SimResponse(404, {"error": f"no such path {req.path}"})
        entry: dict[str, Any] = {"platform": gw.platform, "path": req.path,
                                 "at": self.world.clock.now(), "error": None}
        resp = gw.handle(req, entry)
        entry["status"] = resp.status
        entry["params"] = redact(entry.get("params", {}))
        self.log(entry)
        return resp

    def _control(self, req: SimRequest) -> SimResponse:
        try:
            data = json.loads(req.body or b"{}")
        except ValueError:
            return SimResponse(400, {"error": "body is not JSON"})
        if req.path == "/_sim/state":
            return SimResponse(200, self.state())
        if req.path == "/_sim/log":
            return SimResponse(200, self.calls(req.query.get("platform"), req.query.get("api")))
        if req.path == "/_sim/faults" and req.method == "POST":
            try:
                return SimResponse(200, self.set_faults(**data).to_dict())
            except (TypeError, ValueError) as exc:
                return SimResponse(400, {"error": str(exc)})
        if req.path == "/_sim/tick" and req.method == "POST":
            self.world.tick(int(data.get("new", 0)), int(data.get("changes", 0)))
            return SimResponse(200, self.state())
        if req.path == "/_sim/clock" and req.method == "POST":
            self.world.clock.advance(float(data.get("advance", 0)))
            return SimResponse(200, self.state())
        if req.path.startswith(OAUTH_PATH):
            return self._authorize(req.path[len(OAUTH_PATH):].split("/")[0], req.query)
        if req.path == "/_sim/refund" and req.method == "POST":
            try:
                self.request_refund(str(data.get("platform")), str(data.get("order_no")))
            except KeyError as exc:
                return SimResponse(404, {"error": str(exc)})
            return SimResponse(200, self.state())
        if req.path.startswith(BILL_PATH):
            day = req.path[len(BILL_PATH):].removesuffix(".csv")
            try:
                return SimResponse(200, self.pdd.bill_csv(day), "text/csv; charset=utf-8")
            except ValueError:
                return SimResponse(404, {"error": f"no bill for {day!r}"})
        return SimResponse(404, {"error": f"no such control path {req.path}"})

    def _authorize(self, platform: str, query: dict[str, str]) -> SimResponse:
        """The platform's OAuth page, with the seller consenting at once: a redirect to the app's
        ``redirect_uri`` with a one-time ``code`` and the app's ``state``."""
        gw = self.gateways.get(platform)
        if gw is None:
            return SimResponse(404, {"error": f"no platform {platform!r}"})
        app = query.get("client_id") or query.get("app_key")
        redirect = query.get("redirect_uri")
        if app != gw.creds.app_key or not redirect:
            return SimResponse(400, {"error": "unknown client_id/app_key or no redirect_uri"})
        sep = "&" if "?" in redirect else "?"
        answer = urlencode({"code": gw.issue_code(), "state": query.get("state", "")})
        target = f"{redirect}{sep}{answer}"
        return SimResponse(302, b"", "text/plain", headers={"Location": target})


OAUTH_PATH = "/_sim/oauth/"


def _handler(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "orderhub-simulator"
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes

        def do_GET(self) -> None:  # noqa: N802
            self._serve()

        def do_POST(self) -> None:  # noqa: N802
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            form: dict[str, str] = {}
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("application/x-www-form-urlencoded"):
                form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            req = SimRequest(self.command, parts.path,
                             dict(parse_qsl(parts.query, keep_blank_values=True)), form, body)
            try:
                resp = sim.dispatch(req)
            except Exception as exc:  # noqa: BLE001 - a simulator bug must not hang a client
                resp = SimResponse(500, {"error": f"simulator error: {exc!r}"})
            payload = resp.body if isinstance(resp.body, bytes) else json.dumps(
                resp.body, ensure_ascii=False).encode("utf-8")
            try:
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.content_type)
                for name, value in resp.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout test)

        def date_time_string(self, timestamp: float | None = None) -> str:
            return email.utils.formatdate(sim.world.clock.now(), usegmt=True)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the request log is sim.requests

    return Handler


__all__ = ["Simulator", "Faults", "Clock", "World", "Credentials", "demo_credentials"]
