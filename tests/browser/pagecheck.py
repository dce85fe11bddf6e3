"""What a learner would see: run a notebook in a real page and list everything that looks broken.

``check_lab_notebook`` drives JupyterLab like a learner (wait for the kernel, Run All Cells, move
a slider with the keyboard); ``check_voila_page`` does the same on a Voila page. Both also look at
the figures (each one's displayed width against its output area, a dashboard's pixels per displayed
pixel and the size of its text, and the smallest text drawn into each figure times the scale the
page shows it at, at least ``MIN_TEXT_PX`` on screen), scrub and play every dashboard that has an
epoch scrubber, and keep a screenshot of every dashboard. Both return a :class:`Report` whose ``problems`` are plain
sentences, empty when the page is healthy.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import ARTIFACTS, SCREENSHOTS, TOKEN

from hplab.plots import _style as style

IDLE = re.compile(r"\| Idle$")
OPEN_TIMEOUT = 120      # s: page loaded and the kernel idle
RUN_TIMEOUT = 240       # s: Run All Cells finished (nbval allows 60 s per notebook; this is a page)
FIGURE_TIMEOUT = 15     # s: a slider move must change the picture within this
DIAGNOSIS_TIMEOUT = 90  # s: ... and the words once the run has finished
WIDGET_TIMEOUT = 30     # s: every widget drawn once its cell has run
POLL = 0.1              # s: how often a waiting loop looks again
PLAY_TIMEOUT = 10       # s: after play, the scrubber must have moved on and the picture changed
MIN_FILL = 0.8          # a figure's displayed width / its output area's width
MIN_DENSITY = 2.0       # a dashboard image's pixels per displayed pixel (drawn for high-DPI screens)
MIN_TEXT_PX = style.MIN_TEXT_PX  # on screen: the dashboards' HTML text, and text drawn in figures
# The smallest text drawn in a figure, in displayed px before the page scales the figure: a
# dashboard may say it on its picture (data-hplab-min-text-px); otherwise the course style's.
DRAWN_TEXT_PX = style.SMALLEST_DRAWN_PX
SCRUB_TARGET_MS = 100   # scrubber move -> new picture; reported, never failed on (load varies)
SCRUB_MOVES = 3         # scrubber moves timed per dashboard; the median is reported
DASHBOARD_SHOTS = ARTIFACTS / "browser" / "dashboards"
# Voila loads an icon font from the internet; offline that one request fails and is harmless.
HARMLESS_CONSOLE = ("net::ERR_NAME_NOT_RESOLVED", "net::ERR_INTERNET_DISCONNECTED")


@dataclass
class Report:
    """What one notebook page showed: problems (empty when healthy) and what was measured."""

    name: str
    problems: list[str] = field(default_factory=list)
    dashboards: list[dict] = field(default_factory=list)  # per dashboard: slider, seconds, sizes
    figures: list[dict] = field(default_factory=list)     # per static figure: cell, width, fill
    seconds: dict = field(default_factory=dict)           # phase -> seconds
    screenshot: Path | None = None

    def summary(self) -> str:
        times = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        parts = [f"{self.name}: {times}"] + [_describe(d) for d in self.dashboards]
        if self.figures:
            fills, shown = [f["fill"] for f in self.figures], [f["shown"] for f in self.figures]
            smallest = min(shown_text_px(f) for f in self.figures)
            parts.append(f"{len(fills)} static figures, width {min(fills):.0%} to {max(fills):.0%} "
                         f"of the output area, shown at {min(shown):.0%} to {max(shown):.0%} of "
                         f"their drawn size (smallest drawn text at {smallest:.1f} px)")
        return "; ".join(parts)


def _describe(d: dict) -> str:
    """One dashboard's measures in a few words, for the timings file."""
    words = [f"dashboard {d['index']}: figure {d.get('figure_s', float('nan')):.2f} s, "
             f"diagnosis {d.get('diagnosis_s', float('nan')):.2f} s"]
    if "fill" in d:
        words.append(f"width {d['width']} of {d['area']} px ({d['fill']:.0%}), "
                     f"density {d['density']:.2f}, shown at {d['shown']:.0%} of its drawn size "
                     f"(its smallest drawn text at {shown_text_px(d):.1f} px)")
    if d.get("smallest_text_px") is not None:
        words.append(f"smallest text {d['smallest_text_px']:g} px")
    if "scrub_ms" in d:
        over = " (over the target)" if d["scrub_ms"] > SCRUB_TARGET_MS else ""
        words.append(f"scrub to new picture {d['scrub_ms']:.0f} ms{over} "
                     f"(median of {', '.join(map(str, d['scrub_moves_ms']))})")
    elif "scrubber" in d:
        words.append(f"scrubber: {d['scrubber']}")
    if "play_values" in d:
        words.append(f"play {d['play_values']}")
    return ", ".join(words)


# Text a broken widget leaves on the page, whatever the front end.
WIDGET_FAILURES = ("Error displaying widget", "Loading widget...", "Failed to load model class",
                   "Could not create a view", "Could not create model")

DOM_PROBLEMS_JS = r"""
([rootSelector, failures]) => {
  const root = rootSelector ? document.querySelector(rootSelector) : document.body;
  if (!root) return ['the notebook area is missing from the page'];
  const cells = [...root.querySelectorAll('.jp-Cell')];
  const where = el => {
    const cell = el.closest('.jp-Cell');
    return cell ? `cell ${cells.indexOf(cell) + 1}` : 'the page';
  };
  const problems = [];
  for (const err of root.querySelectorAll('.jupyter-widgets-error-widget')) {
    // ipywidgets draws a broken-page icon; a click on it reveals the front end's message
    if (err.classList.contains('icon-error')) err.parentElement.click();
    const why = (err.innerText || '').trim().split('\n').slice(0, 2).join(' ');
    problems.push(`${where(err)} shows a widget that failed to draw: ${why.slice(0, 300)}`);
  }
  for (const out of root.querySelectorAll('.jp-OutputArea-output')) {
    const text = out.innerText || '';
    for (const f of failures) {
      if (text.includes(f)) problems.push(`${where(out)} shows "${f}": ${text.slice(0, 200)}`);
    }
    if (out.dataset.mimeType === 'text/plain' &&
        /^[A-Z]\w*\((value|children|description|layout|options|min|max)=/.test(text.trim())) {
      problems.push(`${where(out)} shows a widget as plain text instead of drawing it: ${text.slice(0, 80)}`);
    }
    const cell = out.closest('.jp-Cell');
    if (text.includes('There was an error when executing cell') &&
        !(cell && cell.classList.contains('celltag_raises-exception'))) {
      problems.push(`${where(out)} raised an error: ${text.slice(0, 200)}`);
    }
  }
  return problems;
}
"""

# Cell by cell from JupyterLab's own notebook model (exposed with --LabApp.expose_app_in_browser).
LAB_CELLS_JS = r"""
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, i) => {
    const m = cell.model;
    if (m.type !== 'code') return null;
    const outs = [];
    for (let k = 0; k < m.outputs.length; k++) outs.push(m.outputs.get(k).toJSON());
    return {index: i + 1, source: m.sharedModel.getSource(), count: m.executionCount,
            tags: m.getMetadata('tags') || [],
            errors: outs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`)};
  }).filter(c => c !== null);
}
"""

# Run All is finished when the kernel is idle and every code cell has run, or the cells left
# over come after an error that stops the run (JupyterLab sends the cells one after another, so
# "no cell shows [*]" alone can happen between two cells).
RUN_FINISHED_JS = r"""
() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.widgets) return false;
  const status = document.querySelector('#jp-main-statusbar');
  if (!status || !/ \| Idle/.test(status.textContent)) return false;
  if ([...panel.node.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*')))
    return false;
  let stopped = false;
  for (const cell of panel.content.widgets) {
    const m = cell.model;
    if (m.type !== 'code' || !m.sharedModel.getSource().trim()) continue;
    if (m.executionCount === null && !stopped) return false;
    const tags = m.getMetadata('tags') || [];
    for (let k = 0; k < m.outputs.length; k++) {
      if (m.outputs.get(k).type === 'error' && !tags.includes('raises-exception')) stopped = true;
    }
  }
  return true;
}
"""

# A dashboard is an output holding a slider and a picture; the innermost such output counts.
FIND_DASHBOARDS_JS = r"""
(rootSelector) => {
  const root = rootSelector ? document.querySelector(rootSelector) : document.body;
  const outs = [...root.querySelectorAll('.jp-OutputArea-output')].filter(
    o => o.querySelector('.noUi-target') && o.querySelector('img'));
  const inner = outs.filter(o => !outs.some(p => p !== o && o.contains(p)));
  inner.forEach((o, i) => {
    o.setAttribute('data-hplab-dashboard', String(i));
    // the knob a learner turns first: an enabled slider that is not the epoch scrubber
    const knob = [...o.querySelectorAll('.noUi-target:not([disabled]) .noUi-handle')].find(
      h => !h.closest('.hplab-scrubber'));
    if (knob) knob.setAttribute('data-hplab-knob', String(i));
  });
  return inner.length;
}
"""

# The picture's bytes (hashed) and the words of the diagnosis. Dashboards mark them with the CSS
# classes hplab-figure and hplab-diagnosis; without those, the first image and the HTML texts.
FINGERPRINT_JS = r"""
async (i) => {
  const dash = document.querySelector(`[data-hplab-dashboard="${i}"]`);
  if (!dash) return null;
  const marked = dash.querySelector('.hplab-figure');
  const img = marked && marked.tagName === 'IMG' ? marked : (marked || dash).querySelector('img');
  let figure = '';
  if (img && img.src) {
    try {
      const bytes = await (await fetch(img.src)).arrayBuffer();
      const digest = await crypto.subtle.digest('SHA-256', bytes);
      figure = [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
    } catch (e) { figure = 'unreadable'; }  // the image was swapped while being read
  }
  const marks = [...dash.querySelectorAll('.hplab-diagnosis')];
  const texts = marks.length ? marks : [...dash.querySelectorAll('.widget-html-content')];
  return {figure, diagnosis: texts.map(e => e.innerText.trim()).join('\n')};
}
"""

# Sizes as the page lays them out. A figure's output area is the output element's content box;
# a dashboard's picture is its hplab-figure image (else its first visible image); static figures
# are image/png outputs outside any dashboard. Hidden elements (the static copy of a dashboard that
# live widgets hide) are not measured.
MEASURE_JS = r"""
(rootSelector) => {
  const root = rootSelector ? document.querySelector(rootSelector) : document.body;
  const cells = [...root.querySelectorAll('.jp-Cell')];
  const cellOf = el => { const c = el.closest('.jp-Cell'); return c ? cells.indexOf(c) + 1 : null; };
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const inner = el => {
    const st = getComputedStyle(el);
    return el.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
  };
  // drawn: the width the figure was made for (its width attribute, else one pixel per pixel);
  // shown below 1, its text is that much smaller on screen than it was drawn. textPx: the
  // smallest text drawn in it, when the picture (or what holds it) says so
  const size = (img, area) => {
    const drawn = +img.getAttribute('width') || img.naturalWidth;
    const said = img.closest('[data-hplab-min-text-px]');
    return {cell: cellOf(area), width: img.clientWidth, area: Math.round(inner(area)),
            natural: img.naturalWidth, fill: img.clientWidth / inner(area),
            density: img.clientWidth ? img.naturalWidth / img.clientWidth : 0,
            shown: drawn ? img.clientWidth / drawn : 0,
            textPx: said ? +said.dataset.hplabMinTextPx || null : null};
  };
  const dashboards = [...root.querySelectorAll('[data-hplab-dashboard]')].map(dash => {
    const marked = [...dash.querySelectorAll('img.hplab-figure, .hplab-figure img')].filter(visible);
    const img = marked[0] || [...dash.querySelectorAll('img')].filter(visible)[0];
    let smallest = null;
    const walker = document.createTreeWalker(dash, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.textContent.trim() || !el || !visible(el) || el.closest('style, script')) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (smallest === null || px < smallest.px) smallest = {px, text: node.textContent.trim().slice(0, 60)};
    }
    return {index: +dash.dataset.hplabDashboard, ...(img ? size(img, dash) : {cell: cellOf(dash)}),
            smallest};
  });
  const figures = [];
  for (const out of root.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/png"]')) {
    const img = out.querySelector('img');
    if (img && visible(img) && !out.closest('[data-hplab-dashboard]')) figures.push(size(img, out));
  }
  return {dashboards, figures};
}
"""

# Scrubbing: note when the key goes down and when the dashboard's picture has a new source that
# the browser has decoded (ipywidgets swaps the image's src; a redraw may replace the element).
ARM_SCRUB_JS = r"""
(i) => {
  const dash = document.querySelector(`[data-hplab-dashboard="${i}"]`);
  const figure = () => dash.querySelector('img.hplab-figure, .hplab-figure img') || dash.querySelector('img');
  const s = window.__hplabScrub = {src: figure().src, down: null, shown: null};
  document.addEventListener('keydown', e => { s.down = e.timeStamp; }, {capture: true, once: true});
  const seen = new MutationObserver(() => {
    const img = figure();
    if (!img || img.src === s.src) return;
    seen.disconnect();
    const done = () => { s.shown = performance.now(); };
    img.decode().then(done, done);
  });
  seen.observe(dash, {attributes: true, attributeFilter: ['src'], childList: true, subtree: true});
}
"""

# The scrubber's value and the picture's source, to watch play move them on.
IMAGES_LOADED_JS = r"""
(rootSelector) => [...(rootSelector ? document.querySelector(rootSelector) : document.body)
  .querySelectorAll('.jp-OutputArea-output img')].every(img => img.complete)
"""

FRAME_JS = r"""
(i) => {
  const dash = document.querySelector(`[data-hplab-dashboard="${i}"]`);
  const img = dash.querySelector('img.hplab-figure, .hplab-figure img') || dash.querySelector('img');
  const handle = dash.querySelector('.hplab-scrubber .noUi-handle');
  const number = name => handle ? +handle.getAttribute(name) : null;
  return {src: img ? img.src : null, value: number('aria-valuenow'),
          min: number('aria-valuemin'), max: number('aria-valuemax')};
}
"""

LOG_ERRORS_JS = r"""
() => [...document.querySelectorAll('.jp-LogConsolePanel [data-log-level="error"], '
                                  + '.jp-LogConsolePanel [data-log-level="critical"]')]
  .map(p => (p.closest('.jp-OutputArea-child') || p).innerText.trim())
"""

LOG_COUNT_JS = r"""
() => {
  const item = document.querySelector('.jp-LogConsoleStatusItem');
  return item && !item.classList.contains('lm-mod-hidden') ? parseInt(item.innerText, 10) || 1 : 0;
}
"""


def _wait(fn, timeout: float):
    """Call ``fn`` until it returns something truthy or ``timeout`` s pass; return the last value."""
    deadline = time.monotonic() + timeout
    value = fn()
    while not value and time.monotonic() < deadline:
        time.sleep(POLL)
        value = fn()
    return value


def _log_console_errors(page) -> list[str]:
    """Errors the kernel sent outside any cell (an exception in a widget callback lands here)."""
    item = page.locator(".jp-LogConsoleStatusItem")
    if item.count() == 0 or "lm-mod-hidden" in (item.get_attribute("class") or ""):
        return []
    item.click()
    page.locator(".jp-LogConsolePanel").wait_for(timeout=10_000)
    errors = _wait(lambda: page.evaluate(LOG_ERRORS_JS), 2)
    last = [[line for line in e.splitlines() if line.strip()][-1] for e in errors]  # "Error: why"
    return [f"the kernel reported an error outside any cell (log console): {e}" for e in last]


def move_slider(page, dash_index: int, *, idle=None, error_count=None) -> dict:
    """Move the dashboard's first enabled slider (not the epoch scrubber) one step with the
    keyboard, like a learner.

    Returns what happened: which slider, and how many seconds until the picture and the
    diagnosis changed (absent when they never did), plus any problems.
    """
    handle = page.locator(f'[data-hplab-knob="{dash_index}"]')
    result = {"index": dash_index + 1, "problems": []}
    if handle.count() == 0:
        result["problems"].append(f"dashboard {dash_index + 1} has no slider a learner can move")
        return result
    slider = handle.locator("xpath=ancestor::*[contains(@class, 'widget-slider')][1]")
    label = slider.locator(".widget-label").first
    result["slider"] = label.inner_text().strip() if label.count() else "?"
    handle.scroll_into_view_if_needed()
    before = page.evaluate(FINGERPRINT_JS, dash_index)
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    count = error_count or (lambda: 0)  # errors the page reports elsewhere, e.g. in a log
    errors_before = count()
    handle.focus()
    start = time.monotonic()
    page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")

    def changed(key):
        now = page.evaluate(FINGERPRINT_JS, dash_index)
        return now is not None and now[key] not in (before[key], "unreadable")

    def first(key):  # what happened first: the change we wait for, or an error elsewhere
        return key if changed(key) else ("error" if count() > errors_before else None)

    if _wait(lambda: first("figure"), FIGURE_TIMEOUT) == "figure":
        result["figure_s"] = time.monotonic() - start
        if _wait(lambda: first("diagnosis"), DIAGNOSIS_TIMEOUT) == "diagnosis":
            result["diagnosis_s"] = time.monotonic() - start
        else:
            result["problems"].append(
                f"dashboard {dash_index + 1}: moving the slider '{result['slider']}' did not update "
                f"the diagnosis text (still: {before['diagnosis'][:120]!r})")
    else:
        result["problems"].append(
            f"dashboard {dash_index + 1}: moving the slider '{result['slider']}' did not change "
            f"the figure within {FIGURE_TIMEOUT} s")
    if idle is not None:
        idle()
    return result


def size_problems(measures: dict, *, figures: bool = True) -> list[str]:
    """Sentences for figures too narrow for their output area, dashboards drawn for low-DPI
    screens and dashboard text too small to read; ``measures`` is what MEASURE_JS returned.
    ``figures=False`` leaves the static figures unjudged (they are still measured)."""
    problems = []
    for d in measures["dashboards"]:
        where = f"dashboard {d['index'] + 1} (cell {d['cell']})"
        if "fill" not in d:
            problems.append(f"{where} shows no picture")
            continue
        if d["fill"] < MIN_FILL:
            problems.append(f"{where}: its figure is {d['width']} px wide in an output area of "
                            f"{d['area']} px ({d['fill']:.0%}; at least {MIN_FILL:.0%} wanted)")
        if d["density"] < MIN_DENSITY:
            problems.append(f"{where}: its figure has {d['natural']} pixels shown on {d['width']} "
                            f"(density {d['density']:.2f}; at least {MIN_DENSITY:g} wanted, for "
                            "high-DPI screens)")
        small = d.get("smallest")
        if small and small["px"] < MIN_TEXT_PX:
            problems.append(f"{where}: the text {small['text']!r} is {small['px']:g} px "
                            f"(at least {MIN_TEXT_PX} px wanted)")
        problems += _drawn_text_problem(where + ": its figure", d)
    for f in measures["figures"] if figures else ():
        if f["fill"] < MIN_FILL:
            problems.append(f"cell {f['cell']}: a figure is {f['width']} px wide in an output area "
                            f"of {f['area']} px ({f['fill']:.0%}; at least {MIN_FILL:.0%} wanted)")
        problems += _drawn_text_problem(f"cell {f['cell']}: a figure", f)
    return problems


def shown_text_px(size: dict) -> float:
    """The smallest text of a measured figure as it shows on screen: drawn size times the scale
    the page shows the figure at."""
    return (size.get("textPx") or DRAWN_TEXT_PX) * size["shown"]


def _drawn_text_problem(what: str, size: dict) -> list[str]:
    if not size.get("shown") or shown_text_px(size) >= MIN_TEXT_PX - 0.05:  # a rounding's slack
        return []
    drawn = size.get("textPx") or DRAWN_TEXT_PX
    return [f"{what} is shown at {size['shown']:.0%} of its drawn size, so its smallest text, drawn "
            f"at {drawn:.1f} px, shows at {shown_text_px(size):.1f} px (at least {MIN_TEXT_PX} px "
            "wanted)"]


def measure(page, report: Report, root_selector, *, figures: bool = True) -> dict:
    """Measure every dashboard and static figure once its images have loaded; add problems
    (about static figures only when ``figures``)."""
    try:
        page.wait_for_function(IMAGES_LOADED_JS, arg=root_selector, timeout=WIDGET_TIMEOUT * 1000,
                               polling=100)
    except Exception:  # Playwright's TimeoutError; an image that never loaded measures 0 wide
        pass
    measures = page.evaluate(MEASURE_JS, root_selector)
    report.problems += size_problems(measures, figures=figures)
    report.figures = measures["figures"]
    return measures


def scrub_and_play(page, dash_index: int) -> dict:
    """Move the epoch scrubber one step with the keyboard, then press play, like a learner.

    The picture must change after each; the milliseconds from the key going down to the new
    picture decoded are returned (``scrub_ms``, the median of SCRUB_MOVES moves), never failed
    on. A dashboard without a scrubber, or whose scrubber is hidden, is left alone
    (``scrubber: "none"`` or ``"hidden"``).
    """
    n, result = dash_index + 1, {"problems": []}
    dash = f'[data-hplab-dashboard="{dash_index}"]'
    handle = page.locator(f"{dash} .hplab-scrubber .noUi-handle")
    if handle.count() == 0 or not handle.first.is_visible():  # a dashboard that does not replay
        result["scrubber"] = "none" if handle.count() == 0 else "hidden"
        return result
    frame = page.evaluate(FRAME_JS, dash_index)
    handle.first.scroll_into_view_if_needed()
    key = "ArrowLeft" if frame["value"] - frame["min"] >= SCRUB_MOVES else "ArrowRight"
    moves = []
    for _ in range(SCRUB_MOVES):
        page.evaluate(ARM_SCRUB_JS, dash_index)
        handle.first.focus()
        page.keyboard.press(key)
        try:
            page.wait_for_function("() => window.__hplabScrub.shown !== null",
                                   timeout=FIGURE_TIMEOUT * 1000, polling=20)
        except Exception:  # Playwright's TimeoutError
            result["problems"].append(f"dashboard {n}: moving the epoch scrubber did not change "
                                      f"the picture within {FIGURE_TIMEOUT} s")
            break
        times = page.evaluate("() => window.__hplabScrub")
        moves.append(times["shown"] - times["down"])
    if moves:
        result["scrub_ms"] = statistics.median(moves)
        result["scrub_moves_ms"] = [round(m) for m in moves]
    play = page.locator(f"{dash} .hplab-play button:has(.fa-play)")
    if play.count() == 0:
        result["problems"].append(f"dashboard {n} has an epoch scrubber but no play button")
        return result
    before = page.evaluate(FRAME_JS, dash_index)
    values = [before["value"]]
    play.first.click()

    def advanced():
        now = page.evaluate(FRAME_JS, dash_index)
        if now["value"] != values[-1]:
            values.append(now["value"])
        return now["src"] != before["src"] and any(b > a for a, b in zip(values, values[1:]))

    moved_on = _wait(advanced, PLAY_TIMEOUT)
    pause = page.locator(f"{dash} .hplab-play button:has(.fa-pause)")
    if pause.count():
        pause.first.click()
    result["play_values"] = " > ".join(f"{v:g}" for v in values)
    if not moved_on:
        result["problems"].append(
            f"dashboard {n}: pressing play did not move the epoch scrubber on and change the "
            f"picture within {PLAY_TIMEOUT} s (scrubber: {result['play_values']})")
    return result


def _check_dashboards(page, report: Report, root_selector, stem: str, *, idle=None,
                      error_count=None, figures: bool = True):
    start = time.monotonic()
    count = page.evaluate(FIND_DASHBOARDS_JS, root_selector)
    measures = measure(page, report, root_selector, figures=figures)
    DASHBOARD_SHOTS.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        dash = page.locator(f'[data-hplab-dashboard="{i}"]')
        dash.scroll_into_view_if_needed()
        dash.screenshot(path=str(DASHBOARD_SHOTS / f"{stem}-{i + 1}.png"))
    report.seconds["sizes and screenshots"] = time.monotonic() - start
    scrubbing = 0.0
    for i in range(count):
        moved = move_slider(page, i, idle=idle, error_count=error_count)
        t = time.monotonic()
        played = scrub_and_play(page, i)
        if idle is not None and "scrubber" not in played:
            idle()  # the kernel has drawn what play asked for
        scrubbing += time.monotonic() - t
        sizes = {k: v for k, v in measures["dashboards"][i].items() if k != "index"}
        sizes["smallest_text_px"] = (sizes.pop("smallest") or {}).get("px")
        report.problems += moved.pop("problems") + played.pop("problems")
        report.dashboards.append({**moved, **sizes, **played})
    if count:
        report.seconds["scrub and play"] = scrubbing


def _screenshot(page, report: Report, stem: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    first = page.locator('[data-hplab-dashboard="0"]')
    if first.count():
        first.scroll_into_view_if_needed()
    report.screenshot = SCREENSHOTS / f"{stem}.png"
    page.screenshot(path=str(report.screenshot))


# Voila's page arrives with outputs as JSON scripts, which its front end then draws; in both
# front ends a widget shows "Loading widget..." until its view is drawn.
DRAWN_JS = r"""
(rootSelector) => {
  const root = rootSelector ? document.querySelector(rootSelector) : document.body;
  return !!root && !root.querySelector('script[type="application/vnd.voila.cell-output+json"]')
    && ![...root.querySelectorAll('.jp-OutputArea-output')].some(
      o => (o.innerText || '').includes('Loading widget...'));
}
"""


LAB_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"  # the notebook in front
APP_READY_JS = "() => !!window.jupyterapp && !!document.querySelector('#jp-main-statusbar')"

OPEN_JS = r"""
async (path) => {
  await window.jupyterapp.restored;
  await window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
}
"""

# The notebook is in front, its kernel idle, and the status bar says so too.
KERNEL_READY_JS = r"""
(path) => {
  const p = window.jupyterapp.shell.currentWidget;
  const kernel = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
  const status = document.querySelector('#jp-main-statusbar');
  return !!kernel && p.context.path === path && p.sessionContext.isReady
    && kernel.status === 'idle' && / \| Idle/.test(status.textContent);
}
"""

# Close every open document without saving (the scratch copy stays as it was) and end kernels.
CLOSE_JS = r"""
async () => {
  for (const w of [...window.jupyterapp.shell.widgets('main')]) {
    if (w.context) w.context.model.dirty = false;
    if (w.sessionContext) await w.sessionContext.shutdown();
    w.dispose();
  }
}
"""


def _widgets_drawn(page, root_selector) -> bool:
    """Wait until every output is drawn; False if some still are not after WIDGET_TIMEOUT s."""
    try:
        page.wait_for_function(DRAWN_JS, arg=root_selector, timeout=WIDGET_TIMEOUT * 1000,
                               polling=100)
        return True
    except Exception:  # Playwright's TimeoutError; what is left undrawn gets reported
        return False


def _lab_idle(page, timeout: float = DIAGNOSIS_TIMEOUT) -> None:
    page.locator("#jp-main-statusbar .jp-StatusBar-TextItem", has_text=IDLE).first.wait_for(
        timeout=timeout * 1000)


def open_and_run(page, base: str, path: str, report: Report) -> bool:
    """Open ``path`` in JupyterLab and Run All Cells; False if the kernel never became idle."""
    start = time.monotonic()
    if not page.url.startswith(f"{base}/lab"):  # one JupyterLab tab serves many notebooks
        page.goto(f"{base}/lab?reset&token={TOKEN}", timeout=OPEN_TIMEOUT * 1000)
        page.wait_for_function(APP_READY_JS, timeout=OPEN_TIMEOUT * 1000, polling=100)
    page.evaluate(OPEN_JS, path)
    try:  # the toolbar may say idle before the kernel is ready; the status bar knows
        page.wait_for_function(KERNEL_READY_JS, arg=path, timeout=OPEN_TIMEOUT * 1000,
                               polling=100)
    except Exception:  # Playwright's TimeoutError
        report.problems.append(f"the kernel never became idle within {OPEN_TIMEOUT} s")
        return False
    report.seconds["open"] = time.monotonic() - start
    cells = page.evaluate(LAB_CELLS_JS)
    if any(c["source"].strip() for c in cells):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        t = time.monotonic()
        page.wait_for_function(RUN_FINISHED_JS, timeout=RUN_TIMEOUT * 1000, polling=100)
        report.seconds["run all"] = time.monotonic() - t
    return True


def _close_all(page) -> None:
    try:
        page.evaluate(CLOSE_JS)
    except Exception:  # a page in a bad state: the next notebook loads JupyterLab afresh
        page.goto("about:blank")


def check_lab_notebook(page, base: str, path: str, stem: str) -> Report:
    """Open ``path`` in JupyterLab, run all cells, move every dashboard's slider; list problems."""
    report = Report(path)
    start = time.monotonic()
    try:
        if not open_and_run(page, base, path, report):
            return report
        report.problems += cell_problems(page.evaluate(LAB_CELLS_JS))
        _widgets_drawn(page, LAB_NOTEBOOK)  # what is left undrawn is reported just below
        report.problems += page.evaluate(DOM_PROBLEMS_JS, [LAB_NOTEBOOK, list(WIDGET_FAILURES)])
        t = time.monotonic()
        _check_dashboards(page, report, LAB_NOTEBOOK, stem.removeprefix("lab-"),
                          idle=lambda: _lab_idle(page),
                          error_count=lambda: page.evaluate(LOG_COUNT_JS))
        if report.dashboards:
            report.seconds["sliders"] = time.monotonic() - t
        report.problems += page.evaluate(DOM_PROBLEMS_JS, [LAB_NOTEBOOK, list(WIDGET_FAILURES)])
        report.problems += _log_console_errors(page)
    finally:
        _screenshot(page, report, stem)
        _close_all(page)
        report.seconds["total"] = time.monotonic() - start
    return report


# How tall the notebook is, and scrolling it to a given offset (JupyterLab scrolls the notebook
# inside its panel, not the page, so a full-page screenshot would show one screen only).
SCROLLER_JS = r"""
([selector, top]) => {
  const nb = document.querySelector(selector);
  const scrolls = el => el.scrollHeight > el.clientHeight + 1
    && /auto|scroll/.test(getComputedStyle(el).overflowY);
  let el = [nb, ...nb.querySelectorAll('*')].find(scrolls) || nb;
  while (el && !scrolls(el)) el = el.parentElement;
  if (!el) return {height: 0, screen: 0};
  if (top !== null) el.scrollTop = top;
  return {height: el.scrollHeight, screen: el.clientHeight, top: el.scrollTop};
}
"""


def snapshot_lab_notebook(page, base: str, path: str, folder: Path, *, dashboards: int = 0,
                          max_screens: int = 40) -> dict:
    """Run ``path`` in JupyterLab and save what a learner scrolls through, screen by screen.

    Screens go to ``folder/<name>-sNN.png``, the first ``dashboards`` dashboards to
    ``folder/dashboard-<name>-<n>.png``; returns the measures of MEASURE_JS and the problems.
    """
    name = Path(path).stem
    report = Report(path)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"*{name}-*.png"):
        old.unlink()
    try:
        if not open_and_run(page, base, path, report):
            return {"problems": report.problems}
        report.problems += cell_problems(page.evaluate(LAB_CELLS_JS))
        _widgets_drawn(page, LAB_NOTEBOOK)
        count = page.evaluate(FIND_DASHBOARDS_JS, LAB_NOTEBOOK)
        measures = measure(page, report, LAB_NOTEBOOK)
        for i in range(min(count, dashboards)):
            dash = page.locator(f'[data-hplab-dashboard="{i}"]')
            dash.scroll_into_view_if_needed()
            dash.screenshot(path=str(folder / f"dashboard-{name}-{i + 1}.png"))
        where = page.evaluate(SCROLLER_JS, [LAB_NOTEBOOK, 0])
        for k in range(max_screens):
            top = k * max(where["screen"] - 40, 1)  # screens overlap a little
            if k and top >= where["height"] - 40:
                break
            page.evaluate(SCROLLER_JS, [LAB_NOTEBOOK, top])
            page.wait_for_timeout(200)  # let the widgets lay themselves out
            page.screenshot(path=str(folder / f"{name}-s{k + 1:02d}.png"))
    finally:
        _close_all(page)
    return {**measures, "problems": report.problems}


def cell_problems(cells: list[dict]) -> list[str]:
    """Error outputs outside ``raises-exception`` cells, and code cells that never ran."""
    problems = []
    for c in cells:
        if c["errors"] and "raises-exception" not in c["tags"]:
            problems.append(f"cell {c['index']} raised {'; '.join(c['errors'])}")
        elif c["count"] is None and c["source"].strip():
            problems.append(f"cell {c['index']} never ran (an earlier error stopped Run All)")
    return problems


def check_voila_page(page, url: str, stem: str) -> Report:
    """Open a Voila page, wait until every widget is drawn, move every dashboard's slider."""
    report = Report(url.rsplit("/", 1)[-1])
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    start = time.monotonic()
    try:
        page.goto(url, wait_until="load", timeout=RUN_TIMEOUT * 1000)  # after the last cell ran
        report.seconds["render"] = time.monotonic() - start
        if not _widgets_drawn(page, None):
            report.problems.append(f"outputs were still not drawn {WIDGET_TIMEOUT} s after the page loaded")
        report.problems += page.evaluate(DOM_PROBLEMS_JS, [None, list(WIDGET_FAILURES)])
        _check_dashboards(page, report, None, stem)
        report.problems += page.evaluate(DOM_PROBLEMS_JS, [None, list(WIDGET_FAILURES)])
        report.problems += [f"browser console error: {m[:300]}" for m in console
                            if not any(h in m for h in HARMLESS_CONSOLE)]
    finally:
        _screenshot(page, report, stem)
        report.seconds["total"] = time.monotonic() - start
    return report
