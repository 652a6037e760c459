"""What several routers need: the app's settings and the caller's client key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from vekl.access.guesses import client_key
from vekl.settings import Settings


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client(request: Request) -> str:
    """The keyed hash guess limits are counted under."""
    address = request.client.host if request.client is not None else None
    return client_key(address, app_settings(request).secret_key)


async def read_form(request: Request) -> FormData:
    """The posted form, read on the event loop, for routes whose fields are not fixed (one
    per person); the route itself is a plain function, so its database work runs in a thread.
    """
    return await request.form()


AppSettings = Annotated[Settings, Depends(app_settings)]
PostedForm = Annotated[FormData, Depends(read_form)]
Client = Annotated[str, Depends(client)]
