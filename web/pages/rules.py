"""Rules: the rule table with switches, the files with their errors, an editor whose save goes
through the hot-reload check, and a dry run over the last stored orders (writes nothing)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from .. import rules_api
from ..app import audit, is_htmx, read_only, render, require

router = APIRouter()
VIEW = require("rules.view")
EDIT = require("rules.edit")


def _page(request: Request, template: str = "rules.html", **extra: Any) -> Response:
    ws = request.app.state.ws
    return render(request, template, view=rules_api.overview(ws), **extra)


@router.get("/rules")
def rules_page(request: Request, session: Any = VIEW) -> Response:
    return _page(request)


def _switch(request: Request, rule_id: str, enabled: bool, until: str | None) -> Any:
    change = rules_api.switch(request.app.state.ws, rule_id, enabled, until,
                              request.state.session.user)
    audit(request, "rules.enable" if enabled else "rules.disable", target=rule_id,
          before=change.before or None, after=change.after)
    return change


@router.post("/rules/{rule_id}/switch")
def switch_form(request: Request, rule_id: str, enabled: Annotated[str, Form()],
                until: Annotated[str, Form()] = "", session: Any = EDIT) -> Response:
    change = _switch(request, rule_id, enabled == "yes", until)
    return _page(request, "rules_table.html" if is_htmx(request) else "rules.html",
                 changed=change)


@router.get("/rules/files/{name}")
def file_page(request: Request, name: str, session: Any = VIEW) -> Response:
    ws = request.app.state.ws
    return render(request, "rule_file.html", name=name, text=rules_api.read_file(ws, name),
                  problems=None, saved=False)


@router.post("/rules/files/{name}/check")
def check_file(request: Request, name: str, text: Annotated[str, Form()],
               session: Any = VIEW) -> Response:
    read_only(request)
    found = rules_api.check_edit(request.app.state.ws, name, text.replace("\r\n", "\n"))
    return render(request, "rule_problems.html", problems=found, saved=False, checked=True)


@router.post("/rules/files/{name}")
def save_file(request: Request, name: str, text: Annotated[str, Form()],
              session: Any = EDIT) -> Response:
    before, found = rules_api.save_file(request.app.state.ws, name, text)
    if found:
        read_only(request)
    else:
        audit(request, "rules.save", target=name, before={"text": before},
              after={"text": text.replace("\r\n", "\n")})
    status = 422 if found else 200
    if is_htmx(request):
        return render(request, "rule_problems.html", status_code=200 if found else 200,
                      problems=found, saved=not found, checked=False)
    return render(request, "rule_file.html", status_code=status, name=name, text=text,
                  problems=found, saved=not found)


@router.post("/rules/dry-run")
def dry_run(request: Request, last: Annotated[int, Form()] = 200,
            at: Annotated[str, Form()] = "", why_not: Annotated[str, Form()] = "",
            name: Annotated[str, Form()] = "", text: Annotated[str, Form()] = "",
            session: Any = VIEW) -> Response:
    read_only(request)
    state = request.app.state
    edited = {name: text} if name and text else None
    try:
        result = rules_api.dry_run(state.ws, state.store, last=max(1, min(last, 5000)),
                                   at=at or None, edited=edited, why_not=why_not or None)
    except rules_api.SourceErrors as exc:
        return render(request, "rule_problems.html", problems=rules_api.problems(exc),
                      saved=False, checked=True)
    return render(request, "dry_run.html", result=result)


# ---- JSON API ------------------------------------------------------------------------------


class SwitchBody(BaseModel):
    enabled: bool
    until: str | None = None


@router.get("/api/rules")
def rules_api_list(request: Request, session: Any = VIEW) -> dict[str, Any]:
    view = rules_api.overview(request.app.state.ws)
    return {"version": view.version, "rules": view.rows,
            "errors": [{"where": p.where, "message": p.message} for p in view.problems]}


@router.post("/api/rules/{rule_id}/switch")
def rules_api_switch(request: Request, rule_id: str, body: SwitchBody,
                     session: Any = EDIT) -> dict[str, Any]:
    change = _switch(request, rule_id, body.enabled, body.until)
    return {"rule": rule_id, "file": change.file.name, "before": change.before,
            "after": change.after}
