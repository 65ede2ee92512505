"""The canvas's message catalogue: every text it shows, by message id, in Chinese and English.

The texts are in `messages.yaml` beside this module (one `mnss_foundation.i18n` catalogue per
section); `UI`, `FIELDS`, `PROBLEMS` and `WHERE` give them as id -> (zh-CN, en) `str.format`
templates with named fields. The engine's validation problems are looked up by their code (see
`mnss_foundation.problem.Problem`), never by their English text.
"""

from __future__ import annotations

from mnss_foundation import i18n

LANGUAGES = i18n.LANGUAGES
CATALOGUES = i18n.load(__package__)

UI = CATALOGUES["ui"].pairs()  # buttons and status lines
FIELDS = CATALOGUES["fields"].pairs()  # property and column names as the learner reads them
PROBLEMS = CATALOGUES["problems"].pairs()  # mnss_kernel.topology.validate/plan, mnss_foundation.schemacheck
WHERE = CATALOGUES["where"].pairs()  # where a problem is: "link h1-s1", "node 'h1'", a field
