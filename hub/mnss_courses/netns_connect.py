"""Run by the grader inside a lab node (`python -I -S netns_connect.py HOST PORT TIMEOUT`): open one
TCP connection and close it, print {"ok", "detail"} as JSON. The `tcp` service check, without the
engine's probe package (which loads DICOM and HL7 libraries: seconds per probe); standard library
only, so it starts in milliseconds.
"""

import errno
import json
import socket
import sys


def connect(host: str, port: int, timeout: float) -> dict:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except TimeoutError:
        return {"ok": False, "detail": f"timed out after {timeout:g} s"}
    except OSError as err:
        if err.errno == errno.ECONNREFUSED:
            return {"ok": False, "detail": "connection refused (nothing is listening on that port)"}
        return {"ok": False, "detail": err.strerror or type(err).__name__}
    return {"ok": True, "detail": "connection opened"}


if __name__ == "__main__":
    print(json.dumps(connect(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))))
