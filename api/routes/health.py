"""``GET /health``: for a load balancer or monitoring; 200 when healthy, 503 naming what fails.

Not part of the documented API: it describes the installation, not the service.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.database import DbSession
from api.routes.common import AppSettings
from vekl import health as health_checks

router = APIRouter(tags=["operations"])


class CheckOut(BaseModel):
    ok: bool | None
    detail: dict[str, float | int | None]


class HealthOut(BaseModel):
    status: Literal["ok", "failing"]
    failing: list[str]
    checks: dict[str, CheckOut]


@router.get("/health", response_model=HealthOut, include_in_schema=False)
def health(session: DbSession, settings: AppSettings) -> JSONResponse:
    report = health_checks.check(session, settings)
    body = HealthOut(
        status="ok" if report.ok else "failing",
        failing=report.failing,
        checks={c.name: CheckOut(ok=c.ok, detail=c.detail) for c in report.checks},
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=200 if report.ok else 503,
        headers={"Cache-Control": "no-store"},
    )
