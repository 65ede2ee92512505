"""nbgrader's formgrader pages in the instructor's language.

nbgrader writes its pages (Jinja templates, Backbone views, the nbconvert manual-grading page) in
English only. Every HTML page under `/formgrader` leaves this server with one script added before
`</body>`: it takes the language from the hub pages' switch (cookie `mnss_lang`, else the site's
default), adds a switch of its own, and translates nbgrader's text from `formgrader-text.json`
(mnss_foundation.page_translation). A learner's notebook on the grading page is never translated.
"""

from __future__ import annotations

import json
from pathlib import Path

from tornado.web import OutputTransform

from mnss_foundation import page_translation

CATALOGUE = page_translation.load(Path(__file__).with_name("formgrader-text.json"))
SWITCH = """<button id="mnss-lang-switch" type="button" style="position:fixed;left:1rem;bottom:1rem;z-index:2000"
  onclick="mnssSetLang(document.documentElement.lang === 'en' ? 'zh-CN' : 'en')"></button>
<script>
(function () {
  var chosen = (document.cookie.match(/(?:^|; )mnss_lang=([^;]+)/) || [])[1];
  var button = document.getElementById("mnss-lang-switch");
  window.mnssSetLang = function (lang) {
    document.cookie = "mnss_lang=" + lang + "; path=/; max-age=31536000; samesite=lax";
    document.documentElement.lang = lang;
    button.textContent = lang === "en" ? "中文" : "English";
  };
  document.documentElement.lang = chosen === "en" || chosen === "zh-CN" ? chosen : DEFAULT;
  button.textContent = document.documentElement.lang === "en" ? "中文" : "English";
})();
</script>
"""


def addition(default_language: str) -> bytes:
    """What every formgrader page gets before `</body>`."""
    switch = SWITCH.replace("DEFAULT", json.dumps(default_language))
    return (switch + page_translation.script_tag(CATALOGUE, "body")).encode()


def transform(base_url: str, default_language: str) -> type[OutputTransform]:
    """An output transform for the server's web app that adds `addition` to formgrader pages."""
    pages, added = base_url.rstrip("/") + "/formgrader", addition(default_language)

    class FormgraderLanguage(OutputTransform):
        def __init__(self, request):
            super().__init__(request)
            path = request.path
            self.applies = (path == pages or path.startswith(pages + "/")) and not path.startswith(pages + "/api/")

        def transform_first_chunk(self, status_code, headers, chunk, finishing):
            # nbgrader's API answers JSON as text/html too: only a whole document gets the script
            html = headers.get("Content-Type", "").startswith("text/html")
            at = chunk.rfind(b"</body>") if self.applies and html and finishing else -1
            if at >= 0 and "Content-Encoding" not in headers:
                chunk = chunk[:at] + added + chunk[at:]
                if "Content-Length" in headers:
                    headers["Content-Length"] = str(len(chunk))
            return status_code, headers, chunk

    return FormgraderLanguage
