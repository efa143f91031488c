"""One self-contained HTML page per plan, the page a person decides from: the verdict first, the summary as
a table with each figure that differs from the first run marked and every "not reached" shown as such,
the definitions under it, every plot inlined as a data: URI, the notes and each run's decision log.
Nothing is fetched when the page is viewed (no script, stylesheet or font from elsewhere), so it opens
from a file, an artifact store or a mail attachment alike. One inline script marks, once the page has
loaded, how many plots the browser decoded (data-plots-shown="k/n") and how many elements reach past the
window's width or hide content behind a scroll bar (data-too-wide="n"), and says so on the console: what
the headless-browser test reads."""

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
  const width = document.documentElement.clientWidth;
  const wide = [...document.body.querySelectorAll("*")].filter(
    (element) => element.getBoundingClientRect().right > width + 1 || element.scrollWidth > element.clientWidth + 1);
  document.body.dataset.tooWide = String(wide.length);
  if (wide.length) console.error(`${wide.length} element(s) wider than the window, first: ${wide[0].tagName}`);
});
"""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
body { padding: 0 1rem; }
pre { background: #f6f6f6; padding: 0.8rem; font-size: 0.8rem; line-height: 1.3; white-space: pre-wrap;
      overflow-wrap: anywhere; }
pre.log { max-height: 30rem; overflow-y: auto; }
img { max-width: 100%; border: 1px solid #ddd; box-sizing: border-box; }
figure { margin: 1rem 0; } figcaption { font-size: 0.85rem; color: #555; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 0.85rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.4rem; overflow-wrap: anywhere; }
td { text-align: right; } th[scope=row] { text-align: left; font-weight: normal; width: 16rem; }
td.differs { background: #fff4cc; } td.miss { background: #ffd6d6; font-weight: bold; }
.verdict li { margin: 0.3rem 0; } .flag { color: #a00; font-weight: bold; }
p.definitions, ul.notes { font-size: 0.85rem; color: #444; }
"""
NOT_REACHED = "not reached"


@dataclass
class Page:
    title: str
    sections: list[str] = field(default_factory=list)

    def text(self, heading: str, body: str, log: bool = False) -> None:
        css = ' class="log"' if log else ""
        self.sections.append(f"<h2>{html.escape(heading)}</h2>\n<pre{css}>{html.escape(body)}</pre>")

    def verdict(self, lines: list[str]) -> None:
        """The comparison's answer: each question, then each run's figure (flags in red)."""
        items, current = [], None
        for line in lines:
            if not line.startswith("  "):
                current = [f"<strong>{html.escape(line)}</strong>"]
                items.append(current)
            else:
                css = ' class="flag"' if line.strip().startswith("!") else ""
                current.append(f"<div{css}>{html.escape(line.strip())}</div>")
        self.sections.append("<h2>Verdict</h2>\n<ul class=\"verdict\">"
                             + "".join(f"<li>{''.join(item)}</li>" for item in items) + "</ul>")

    def table(self, heading: str, rows: list[list[str]], notes: list[str], definitions: str = "",
              caption: str = "", compare: bool = True) -> None:
        """A real table: with `compare` (columns are runs), a figure that differs from the first run's is
        marked; a capacity not reached is shown as such; the notes and definitions under it."""
        missed = {row[0].split(":")[0]: [cell.startswith("NO") for cell in row[1:]]
                  for row in rows[1:] if row[0].endswith("capacity reached")}
        body = ["<tr><th></th>" + "".join(f"<th scope=\"col\">{html.escape(label)}</th>" for label in rows[0][1:])
                + "</tr>"]
        for title, *cells in rows[1:]:
            workload = title.lstrip("! ").split(":")[0]
            shown = [NOT_REACHED if title.endswith("time to capacity") and missed.get(workload, [False] * len(cells))[i]
                     else cell for i, cell in enumerate(cells)]
            css = ["miss" if cell.startswith("NO") or cell == NOT_REACHED
                   else "differs" if compare and i and cell.removesuffix(" *") != shown[0].removesuffix(" *")
                   else "" for i, cell in enumerate(shown)]
            tds = "".join((f'<td class="{c}">' if c else "<td>") + f"{html.escape(cell)}</td>"
                          for cell, c in zip(shown, css))
            body.append(f"<tr><th scope=\"row\">{html.escape(title)}</th>{tds}</tr>")
        self.sections.append(f"<h2>{html.escape(heading)}</h2>\n"
                             + (f"<p>{html.escape(caption)}</p>" if caption else "") + f"<table>{''.join(body)}</table>"
                             + (f"<ul class=\"notes\">{''.join(f'<li>{html.escape(n)}</li>' for n in notes)}</ul>"
                                if notes else "")
                             + (f"<p class=\"definitions\">{html.escape(definitions)}</p>" if definitions else ""))

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
