"""`postgresql_psql_quoted`: a value for psql's `\\set NAME 'value'`, so a password reaches psql in its
input instead of on its command line (every account on a server reads /proc/<pid>/cmdline)."""

from __future__ import annotations


def postgresql_psql_quoted(value: str) -> str:
    """Inside psql's single quotes a backslash escapes and two quotes make one; a line break
    would end the command, so it is written as psql's \\n."""
    return str(value).replace("\\", "\\\\").replace("'", "''").replace("\n", "\\n").replace("\r", "\\r")


class FilterModule:
    def filters(self):
        return {"postgresql_psql_quoted": postgresql_psql_quoted}
