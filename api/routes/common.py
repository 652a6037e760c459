"""What several routers need: the app's settings and the caller's client key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from vekl.access.guesses import client_key
from vekl.settings import Settings


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client(request: Request) -> str:
    """The keyed hash guess limits are counted under."""
    address = request.client.host if request.client is not None else None
    return client_key(address, app_settings(request).secret_key)


AppSettings = Annotated[Settings, Depends(app_settings)]
Client = Annotated[str, Depends(client)]
