"""Activity events: which notebook a path is, the on-disk buffer, delivery with retries."""

import asyncio
import json
import socket

import pytest
from tornado import httpserver, web

from mnss_activity import install_kernel_hook
from mnss_activity.buffer import EventBuffer
from mnss_activity.forwarder import flush
from mnss_activity.items import item_for


@pytest.mark.parametrize(
    "path, item",
    [
        ("hospital-lan/lan-build/lan-build.ipynb", "hospital-lan/lan-build"),
        ("/home/lab/hospital-lan/vlan-isolation/x.ipynb", "hospital-lan/vlan-isolation"),
        ("notes/scratch.ipynb", None),  # no course folder
        ("Hospital/LAN/x.ipynb", None),  # not course ids
        ("hospital-lan/lan-build/data.csv", None),
        (None, None),
    ],
)
def test_item_for(path, item):
    assert item_for(path) == item


def test_buffer_keeps_events_until_delivered(tmp_path):
    buffer = EventBuffer(tmp_path / "a.sqlite")
    first = buffer.record("c1/a1", "opened")
    buffer.record("c1/a1", "executed")
    assert [e["kind"] for e in buffer.pending()] == ["opened", "executed"]
    assert "learner" not in buffer.pending()[0], "events never name the learner"
    buffer.delivered([first])
    assert [e["kind"] for e in buffer.pending()] == ["executed"]
    with pytest.raises(ValueError, match="kind 'danced'"):
        buffer.record("c1/a1", "danced")


def test_kernel_hook_file(tmp_path):
    path = install_kernel_hook(tmp_path)
    assert "mnss_activity" in path.read_text() and path.parent.name == "startup"


class Collector(web.RequestHandler):
    received: list = []
    status = 200

    def post(self):
        assert self.request.headers["Authorization"] == "token secret"
        if Collector.status != 200:
            raise web.HTTPError(Collector.status)
        events = json.loads(self.request.body)["events"]
        Collector.received += events
        self.finish({"stored": len(events)})


def test_delivery_survives_an_outage_and_sends_each_event_once(tmp_path):
    async def scenario():
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        url = f"http://127.0.0.1:{port}/api/events"
        buffer = EventBuffer(tmp_path / "b.sqlite")
        for _ in range(3):
            buffer.record("c1/a1", "executed")
        assert await flush(buffer, url, "secret") == 0, "nothing listens yet"
        assert len(buffer.pending()) == 3
        server = httpserver.HTTPServer(web.Application([("/api/events", Collector)]))
        server.listen(port, "127.0.0.1")
        try:
            for status in (503, 507):  # the service away, or its disk full: kept for later
                Collector.status = status
                assert await flush(buffer, url, "secret") == 0 and len(buffer.pending()) == 3
            Collector.status = 200
            assert await flush(buffer, url, "secret") == 3
            assert buffer.pending() == [] and len(Collector.received) == 3
            assert await flush(buffer, url, "secret") == 0 and len(Collector.received) == 3
        finally:
            server.stop()

    asyncio.run(scenario())


def test_record_if_enabled_only_when_activity_is_reported(tmp_path, monkeypatch):
    from mnss_activity.buffer import record_if_enabled

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("MNSS_RECOMMENDER_URL", raising=False)
    record_if_enabled("c1/a1", "submitted")
    assert EventBuffer().pending() == []
    monkeypatch.setenv("MNSS_RECOMMENDER_URL", "http://127.0.0.1:9/unused")
    record_if_enabled("c1/a1", "submitted")
    record_if_enabled(None, "submitted")
    assert [(e["item"], e["kind"]) for e in EventBuffer().pending()] == [("c1/a1", "submitted")]


def test_time_on_task_counts_work_and_caps_pauses():
    from mnss_activity.kernel import IDLE_GAP, TimeOnTask

    clock = TimeOnTask(now=100.0)
    assert clock.cell_ran(now=130.0) == 30  # 30 s of reading and typing
    assert clock.cell_ran(now=130.0 + 3600) == IDLE_GAP  # an hour away counts as one idle gap at most
    assert clock.cell_ran(now=130.0 + 3600 + 45) == 45
    assert clock.seconds == 30 + IDLE_GAP + 45


def test_kernel_records_time_on_task_with_each_execution(tmp_path, monkeypatch):
    from mnss_activity import kernel

    monkeypatch.setenv("JPY_SESSION_NAME", "hospital-lan/lan-build/lan-build.ipynb")
    buffer = EventBuffer(tmp_path / "a.sqlite")
    hooks, exits = {}, []
    ip = type("IP", (), {"events": type("E", (), {"register": lambda self, name, fn: hooks.setdefault(name, fn)})()})()
    times = iter([1000.0, 1000.0 + 42, 1000.0 + 42 + 7])  # kernel start, then two cells
    kernel.register(ip, buffer, at_exit=exits.append, clock=lambda: next(times))
    hooks["post_run_cell"](type("Result", (), {"error_in_exec": None})())
    hooks["post_run_cell"](type("Result", (), {"error_in_exec": ZeroDivisionError()})())
    exits[0]()
    events = buffer.pending(10)
    assert [e["kind"] for e in events] == ["executed", "executed", "closed"]
    assert [e["score"] for e in events[:2]] == [1.0, 0.0]  # the second cell raised
    assert [e.get("duration") for e in events] == [42.0, 7.0, None]  # time on task while working
    assert events[2]["item"] == "hospital-lan/lan-build"


def test_the_server_and_the_service_know_the_same_event_kinds():
    """Two copies on purpose: the kernel hook must not import the recommender (numpy) at start-up."""
    from mnss_activity.buffer import KINDS as sent
    from mnss_recommender.events import KINDS as accepted

    assert sent == accepted
