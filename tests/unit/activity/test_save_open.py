"""mnss_activity.save_open: a save request reaches every open page, the documents they send back
are saved through the contents manager, and the request ends at its timeout whatever the pages do."""

import asyncio
import json
import logging
from types import SimpleNamespace

from jupyter_server.services.contents.filemanager import FileContentsManager
from tornado import websocket

from mnss_activity.save_open import OpenPages, SaveSocket


class Page:
    """A JupyterLab page as the server sees it: `reply` is what it answers to a save request."""

    def __init__(self, pages: OpenPages, reply=None, closed=False):
        self.pages, self.reply, self.closed, self.told = pages, reply, closed, []

    async def write_message(self, raw):
        if self.closed:
            raise websocket.WebSocketClosedError()
        message = json.loads(raw)
        self.told.append(message)
        if self.reply is not None:
            saved, failed = self.reply
            asyncio.get_running_loop().call_soon(self.pages.answer, self, message["id"], saved, failed)


def test_every_page_is_asked_and_the_answers_are_summed():
    pages = OpenPages()
    a = Page(pages, (["a.ipynb"], []))
    b = Page(pages, (["b.ipynb", "c.py"], ["ro.ipynb"]))
    pages.sockets |= {a, b}
    result = asyncio.run(pages.save_all(5))
    assert result["pages"] == 2 and result["answered"] == 2
    assert sorted(result["saved"]) == ["a.ipynb", "b.ipynb", "c.py"] and result["failed"] == ["ro.ipynb"]
    assert a.told[0]["type"] == "save" and a.told[0]["id"] == b.told[0]["id"]
    assert pages.waiting == {}  # nothing left behind for the next request


def test_a_silent_page_delays_the_stop_only_up_to_the_timeout():
    pages = OpenPages()
    pages.sockets |= {Page(pages, (["a.ipynb"], [])), Page(pages, reply=None)}
    loop = asyncio.new_event_loop()
    started = loop.time()
    result = loop.run_until_complete(pages.save_all(0.3))
    elapsed = loop.time() - started
    loop.close()
    assert result["pages"] == 2 and result["answered"] == 1 and result["saved"] == ["a.ipynb"]
    assert 0.25 <= elapsed < 2


def test_a_closed_page_and_an_answer_to_another_request_count_for_nothing():
    pages = OpenPages()
    stray = Page(pages, reply=None)
    pages.sockets |= {Page(pages, closed=True), stray}

    async def scenario():
        request = asyncio.ensure_future(pages.save_all(0.3))
        await asyncio.sleep(0.05)
        assert not pages.expects(stray, "not-this-one")
        pages.answer(stray, "not-this-one", ["x.ipynb"], [])
        return await request

    assert asyncio.run(scenario()) == {"pages": 2, "answered": 0, "saved": [], "failed": []}


def test_no_open_page_answers_at_once():
    assert asyncio.run(OpenPages().save_all(10)) == {"pages": 0, "answered": 0, "saved": [], "failed": []}


def test_documents_are_saved_inside_the_root_and_a_bad_one_is_named(tmp_path):
    root = tmp_path / "home"
    root.mkdir()
    socket = SimpleNamespace(contents_manager=FileContentsManager(root_dir=str(root)), log=logging.getLogger("t"))
    cell = {"id": "c1", "cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": []}
    cell["execution_count"] = None
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    documents = [
        {"path": "work/draft.ipynb", "type": "notebook", "content": notebook},
        {"path": "notes.txt", "type": "file", "content": "ward 8 switch"},
        {"path": "../outside.txt", "type": "file", "content": "escape"},
        {"path": "bad.ipynb", "type": "notebook", "content": {"cells": "not a list"}},
        {"path": "pic.png", "type": "directory", "content": None},
    ]
    (root / "work").mkdir()
    saved, failed = asyncio.run(SaveSocket.store(socket, documents))
    assert saved == ["work/draft.ipynb", "notes.txt"]
    assert failed == ["../outside.txt", "bad.ipynb", "pic.png"]
    assert "".join(json.loads((root / "work/draft.ipynb").read_text())["cells"][0]["source"]) == "print(1)"
    assert (root / "notes.txt").read_text() == "ward 8 switch"
    assert not (tmp_path / "outside.txt").exists()
