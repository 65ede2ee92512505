"""Send buffered events to the recommender service with this server's hub token."""

from __future__ import annotations

import json
import logging

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .buffer import EventBuffer

log = logging.getLogger("mnss_activity")


async def flush(buffer: EventBuffer, url: str, token: str, batch: int = 500) -> int:
    """Deliver pending events; returns how many were confirmed. Failures leave them pending."""
    sent = 0
    client = AsyncHTTPClient()
    while True:
        events = buffer.pending(batch)
        if not events:
            return sent
        request = HTTPRequest(
            url,
            method="POST",
            body=json.dumps({"events": events}),
            request_timeout=10,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )
        try:
            await client.fetch(request)
        except HTTPClientError as err:
            if err.code == 400:  # the service refused these events; keeping them would block the rest
                log.warning("recommender refused %d events: %s", len(events), err.response and err.response.body)
                buffer.delivered([e["event_id"] for e in events])
                continue
            log.info("recommender not reachable (%s); %d events kept for later", err, len(events))
            return sent
        except OSError as err:
            log.info("recommender not reachable (%s); %d events kept for later", err, len(events))
            return sent
        buffer.delivered([e["event_id"] for e in events])
        sent += len(events)
