"""The canvas's message catalogue: every text it shows, by message id, in Chinese and English.

The texts are YAML data read through `mnss_foundation.i18n`: the canvas's own (`UI`) from
`messages.yaml` beside this module, field names and the engine's problems (`FIELDS`, `PROBLEMS`,
`WHERE`) from `mnss_kernel/topology/messages.yaml`, since the topology raises them. Each table
maps an id to a (zh-CN, en) pair of `str.format` templates with named fields.
"""

from __future__ import annotations

from mnss_foundation import i18n

from ..topology import texts

LANGUAGES = i18n.LANGUAGES
CATALOGUES = {**i18n.load(__package__), **texts.CATALOGUES}

UI = CATALOGUES["ui"].pairs()  # buttons and status lines
FIELDS = CATALOGUES["fields"].pairs()  # property and column names as the learner reads them
PROBLEMS = CATALOGUES["problems"].pairs()  # mnss_kernel.topology.validate/plan, mnss_foundation.schemacheck
WHERE = CATALOGUES["where"].pairs()  # where a problem is: "link h1-s1", "node 'h1'", a field
