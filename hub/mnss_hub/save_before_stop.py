"""Before a server stops, its open JupyterLab pages save their modified documents.

Every stop goes through the spawner (the learner's "Stop", an admin, the idle culler, a disabled
account), so the spawner asks the server (`POST mnss/save-open`, extensions/mnss_activity) with the
server's own hub token, which may access that server only. Best effort and bounded: a server that
does not answer is stopped anyway, and the reason is logged.
"""

from __future__ import annotations

import json

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

PATH = "mnss/save-open"


async def save_open_documents(server_url: str, token: str, timeout: float, log) -> dict | None:
    """What the server's pages saved ({"pages", "answered", "saved", "failed"}), None if it did not say."""
    request = HTTPRequest(
        server_url.rstrip("/") + "/" + PATH,
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        body=json.dumps({"timeout": timeout}),
        request_timeout=timeout + 5,
    )
    try:
        response = await AsyncHTTPClient().fetch(request)
        result = json.loads(response.body)
    except HTTPClientError as err:
        log.warning("save before stop: %s answered HTTP %s; stopping without it", server_url, err.code)
        return None
    except (OSError, ValueError) as err:
        log.warning("save before stop: no answer from %s (%s); stopping without it", server_url, err)
        return None
    log.info(
        "save before stop: %d open page(s), %d answered, %d document(s) saved, %d failed",
        result.get("pages", 0),
        result.get("answered", 0),
        len(result.get("saved", [])),
        len(result.get("failed", [])),
    )
    return result
