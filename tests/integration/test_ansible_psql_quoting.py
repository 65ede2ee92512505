"""The postgresql role's `\\set pw '...'` (filter postgresql_psql_quoted) gives psql the password
exactly, quotes, backslashes and line breaks too, in a real psql against a throw-away cluster."""

import subprocess

import pytest

from tests.integration.test_recommender_postgres import postgres_url  # noqa: F401 (fixture)
from tests.unit.test_ansible_secrets import filter_module

pytestmark = [pytest.mark.integration]


def test_a_password_reaches_psql_exactly_through_its_input(postgres_url):  # noqa: F811
    quoted = filter_module().postgresql_psql_quoted
    nasty = "it's a \\ back'slash \\' :'pw' $$ ; DROP ROLE x; --\nsecond line \u5bc6\u7801"
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    echoed = subprocess.run(
        ["psql", "-X", "-d", url, "-f", "-"],
        input=f"\\set pw '{quoted(nasty)}'\n\\echo :pw\nSELECT length(:'pw');\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert echoed.returncode == 0, echoed.stderr
    assert echoed.stdout.startswith(nasty + "\n"), echoed.stdout
    assert f" {len(nasty)}\n" in echoed.stdout, echoed.stdout  # the server got it whole as :'pw'
