"""The ``web:`` section of ``orderhub.yaml``: sessions, cookies, login throttling."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class WebConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="address `orderhub web` listens on")
    port: int = Field(default=8350, description="port `orderhub web` listens on")
    session_hours: float = Field(default=12, description="a session ends this long after login")
    idle_minutes: float = Field(default=60, description="... or after this long without a request")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        default="auto", description="Secure cookie flag: auto = when the request came over https "
        "(directly or per X-Forwarded-Proto from a proxy)")
    login_max_failures: int = Field(default=5, description="wrong passwords before logins pause")
    login_window_minutes: float = Field(default=15, description="... counted over this window, "
                                        "and logins for that user pause this long")
