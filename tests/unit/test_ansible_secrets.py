"""No vault secret on a command line of the provisioned server: every account there reads
/proc/<pid>/cmdline, learners' servers included. Commands get secrets in their input or from the
site config (mode 0600); on a real target, test_ansible_provisioning.py checks `ps` as well."""

import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1].parent
ROLES = ROOT / "ansible" / "roles"
SECRET = re.compile(r"vault_\w+|\bitem\.password\b|\bdb_url\b")


def filter_module():
    path = ROLES / "postgresql" / "filter_plugins" / "psql.py"
    spec = importlib.util.spec_from_file_location("psql_filters", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def commands():
    """(role file, task name, argv or cmd) of every command and shell task of the roles."""
    for path in sorted(ROLES.glob("*/tasks/*.yml")):
        for task in yaml.safe_load(path.read_text()) or []:
            for key in ("ansible.builtin.command", "ansible.builtin.shell"):
                args = task.get(key)
                if args is not None:
                    line = args if isinstance(args, str) else args.get("argv") or args.get("cmd")
                    yield path.relative_to(ROLES), task["name"], line


def test_no_command_of_the_roles_has_a_secret_in_its_arguments():
    found = list(commands())
    assert len(found) > 10, found  # the roles' commands were read
    leaks = [(str(path), name) for path, name, line in found if SECRET.search(str(line))]
    assert not leaks, leaks


def test_the_psql_quoting_doubles_quotes_escapes_backslashes_and_line_breaks():
    quoted = filter_module().postgresql_psql_quoted
    assert quoted("it's") == "it''s" and quoted("a\\b") == "a\\\\b" and quoted("1\n2\r") == "1\\n2\\r"
    assert quoted("\u5bc6\u7801 $$ :'pw'") == "\u5bc6\u7801 $$ :''pw''"
