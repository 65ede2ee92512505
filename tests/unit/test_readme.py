"""The README's config reference is the one generated from the schema."""

from pathlib import Path

from mnss_hub import cli, siteconfig

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_config_reference_matches_schema():
    text = README.read_text("utf-8")
    inside = text.split("<!-- config-reference:start -->\n")[1].split("<!-- config-reference:end -->")[0]
    assert inside.strip() == cli.config_reference(siteconfig.schema()).strip(), "run `make config-docs` and paste"
