"""The database server of the 'database' kind: real SQL over the MySQL wire protocol.

mysql-mimic speaks the protocol; each session runs the statements (translated by sqlglot from
MySQL to SQLite) on a small SQLite database seeded with synthetic ward data. Any MySQL client
works against it, and the probe is a real login plus query, like an HIS talking to its database.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import threading
from pathlib import Path

import pymysql
from mysql_mimic import MysqlServer, Session

from .rows import Deadline, check_target, describe_error, row
from .tcp import RunningServer

SERVICE = "mysql"
DEFAULT_PORT = 3306
WARDS = [(1, "心内科一病区 Cardiology 1", 42), (2, "呼吸科 Respiratory", 36), (3, "ICU", 12)]


def seed(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE wards (id INTEGER PRIMARY KEY, name TEXT NOT NULL, beds INTEGER NOT NULL)")
        db.executemany("INSERT INTO wards VALUES (?, ?, ?)", WARDS)


class SQLiteSession(Session):
    def __init__(self, path: Path):
        super().__init__()
        self.db = sqlite3.connect(path, check_same_thread=False)

    async def query(self, expression, sql, attrs):
        cursor = self.db.execute(expression.sql(dialect="sqlite"))
        rows = cursor.fetchall()
        self.db.commit()
        return rows, [d[0] for d in cursor.description or []]

    async def close(self) -> None:
        self.db.close()


def start_sql_server(host: str = "0.0.0.0", port: int = DEFAULT_PORT) -> RunningServer:
    """Serve in a background thread with its own event loop; returns once it listens."""
    folder = tempfile.TemporaryDirectory(prefix="mnss-db-")
    path = Path(folder.name) / "hospital.sqlite"
    seed(path)
    loop = asyncio.new_event_loop()
    server = MysqlServer(session_factory=lambda: SQLiteSession(path))
    listening, failure = threading.Event(), []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start_server(host=host, port=port))
        except OSError as err:
            failure.append(err)
            listening.set()
            return
        listening.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="mnss-sql", daemon=True)
    thread.start()
    listening.wait(30)
    if failure:
        raise failure[0]

    async def shutdown() -> None:
        server.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:  # open client connections
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        loop.stop()

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(5)
        folder.cleanup()

    bound = server._server.sockets[0].getsockname()[1]
    return RunningServer(bound, stop, {"database": str(path)})


def sql_query(host: str, port: int, timeout: float = 5.0) -> dict:
    """Log in and count the wards; rtt_ms covers connect, login and the query's answer."""
    check_target(host, port, timeout)
    deadline = Deadline(timeout)
    try:
        conn = pymysql.connect(
            host=host,
            port=port,
            user="mnss",
            password="",
            database=None,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
        )
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT COUNT(*), SUM(beds) FROM wards")
                count, beds = cur.fetchone()
        finally:
            conn.close()
        rtt = deadline.elapsed_ms()
    except pymysql.err.OperationalError as err:
        cause = err.args[1] if len(err.args) > 1 else str(err)
        return row(SERVICE, host, port, False, None, f"no database answer: {cause}")
    except OSError as err:
        return row(SERVICE, host, port, False, None, describe_error(err, timeout))
    ok = count == len(WARDS)
    return row(SERVICE, host, port, ok, rtt, f"SELECT COUNT(*) FROM wards -> {count} wards, {beds} beds")
