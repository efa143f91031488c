"""One self-contained HTML page per plan: the summary table, every plot inlined as a data: URI, the notes
and the decision log. Nothing is fetched when the page is viewed (no script, stylesheet or font from
elsewhere), so it opens from a file, an artifact store or a mail attachment alike. One inline script
marks, once the page has loaded, how many plots the browser decoded (data-plots-shown="k/n"), and says
so on the console when one did not: what the headless-browser test reads."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

# Counts the plots the browser could decode; a broken one is a console error.
CHECK = """
window.addEventListener("load", () => {
  const plots = [...document.querySelectorAll("img.plot")];
  const shown = plots.filter((img) => img.complete && img.naturalWidth > 0);
  document.body.dataset.plotsShown = `${shown.length}/${plots.length}`;
  if (shown.length < plots.length) console.error(`${plots.length - shown.length} plot(s) did not load`);
});
"""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; line-height: 1.3; }
img { max-width: 100%; border: 1px solid #ddd; }
figure { margin: 1rem 0; } figcaption { font-size: 0.85rem; color: #555; }
"""


@dataclass
class Page:
    title: str
    sections: list[str] = field(default_factory=list)

    def text(self, heading: str, body: str) -> None:
        self.sections.append(f"<h2>{html.escape(heading)}</h2>\n<pre>{html.escape(body)}</pre>")

    def plot(self, heading: str, png: Path) -> None:
        """The PNG inlined, so the page needs nothing beside it."""
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        self.sections.append(f"<h2>{html.escape(heading)}</h2>\n<figure><img class=\"plot\" alt=\"{html.escape(heading)}\" "
                             f"src=\"data:image/png;base64,{data}\"><figcaption>{html.escape(png.name)}</figcaption>"
                             "</figure>")

    def render(self) -> str:
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<title>{html.escape(self.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
                f"<h1>{html.escape(self.title)}</h1>\n" + "\n".join(self.sections)
                + f"\n<script>{CHECK}</script>\n</body>\n</html>\n")

    def write(self, path: Path) -> Path:
        path.write_text(self.render(), encoding="utf-8")
        return path
