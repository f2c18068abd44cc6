"""Socket Mode with the HTTP path's door: bolt's handler, but each envelope's payload is cleaned and its shape checked
(bots/slack/edge.py) before bolt reads it. Socket Mode is not signed (the connection is Slack's own), so that is all.

A payload refused here is still acknowledged, with nothing done: Slack would otherwise redeliver what can never be
handled. One that cannot be recorded is not (bolt answers 503 and sends no ack), so Slack delivers it again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bots.slack.edge import Refused

if TYPE_CHECKING:
    from bots.slack.app import SlackAdapter

log = logging.getLogger(__name__)


class RoundsSocketModeHandler(AsyncSocketModeHandler):
    def __init__(self, adapter: SlackAdapter, app_token: str) -> None:
        super().__init__(adapter.app, app_token=app_token)  # needs the running loop
        self.adapter = adapter

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        try:
            req.payload = self.adapter.admitted_payload(req.payload)
        except Refused as refusal:
            self.adapter.complaints.warn(refusal.kind, f"refused a Slack Socket Mode envelope: {refusal.why}")
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        try:
            await super().handle(client, req)
        except Exception as error:  # bolt choked on something the edge let through: one line, not a traceback
            self.adapter.complaints.warn("bolt", f"bolt could not handle a Socket Mode envelope ({type(error).__name__})")
