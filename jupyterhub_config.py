"""JupyterHub configuration of MNSS Lab: load the site config (YAML), validate it, apply it.

All decisions live in the site config (see `mnss-hub config-docs`); this file has no logic.
"""

from mnss_hub import apply, siteconfig

c = get_config()  # noqa: F821 (provided by JupyterHub)

try:
    site = siteconfig.load(siteconfig.resolve_path())
    apply.apply_site_config(c, site)
except siteconfig.ConfigError as err:
    raise SystemExit(f"mnss: {err}") from None

for extra in apply.extra_config_files(site):
    load_subconfig(str(extra))  # noqa: F821 (provided by JupyterHub)
