"""The ReDoc page without the web fonts drf-spectacular's template fetches from Google.

Both docs pages must work on a machine with no internet and load nothing from third parties; the
Swagger UI page already does (``SWAGGER_UI_DIST = "SIDECAR"``), ReDoc's stock template links Google
Fonts, so this view renders its own page (ReDoc falls back to the system fonts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.template import engines
from drf_spectacular.views import SpectacularRedocView
from rest_framework.renderers import TemplateHTMLRenderer

PAGE = """<!DOCTYPE html>
<html>
  <head>
    <title>{{ title|default:"ReDoc" }}</title>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <div id="redoc-container"></div>
    <script src="{{ redoc_standalone }}"></script>
    <script>
      Redoc.init("{{ schema_url|escapejs }}", {{ settings|default:"{}"|safe }},
                 document.getElementById("redoc-container"));
    </script>
  </body>
</html>
"""


class _PageRenderer(TemplateHTMLRenderer):
    def resolve_template(self, template_names: Iterable[str]) -> Any:  # DRF renders whatever engine template
        return engines["django"].from_string(PAGE)


class LocalRedocView(SpectacularRedocView):
    renderer_classes = [_PageRenderer]
