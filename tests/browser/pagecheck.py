"""What a learner would see: run a notebook in a real page and list everything that looks broken.

``check_lab_notebook`` drives JupyterLab like a learner (wait for the kernel, Run All Cells, move
a slider with the keyboard); ``check_voila_page`` does the same on a Voila page. Both return a
:class:`Report` whose ``problems`` are plain sentences, empty when the page is healthy.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import SCREENSHOTS, TOKEN

IDLE = re.compile(r"\| Idle$")
OPEN_TIMEOUT = 120      # s: page loaded and the kernel idle
RUN_TIMEOUT = 240       # s: Run All Cells finished (nbval allows 60 s per notebook; this is a page)
FIGURE_TIMEOUT = 15     # s: a slider move must change the picture within this
DIAGNOSIS_TIMEOUT = 90  # s: ... and the words once the run has finished
WIDGET_TIMEOUT = 30     # s: every widget drawn once its cell has run
POLL = 0.1              # s: how often a waiting loop looks again
# Voila loads an icon font from the internet; offline that one request fails and is harmless.
HARMLESS_CONSOLE = ("net::ERR_NAME_NOT_RESOLVED", "net::ERR_INTERNET_DISCONNECTED")


@dataclass
class Report:
    """What one notebook page showed: problems (empty when healthy) and what was measured."""

    name: str
    problems: list[str] = field(default_factory=list)
    dashboards: list[dict] = field(default_factory=list)  # per dashboard: slider, seconds
    seconds: dict = field(default_factory=dict)           # phase -> seconds
    screenshot: Path | None = None

    def summary(self) -> str:
        times = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        moves = "; ".join(f"dashboard {d['index']}: figure {d.get('figure_s', float('nan')):.2f} s, "
                          f"diagnosis {d.get('diagnosis_s', float('nan')):.2f} s"
                          for d in self.dashboards)
        return f"{self.name}: {times}" + (f"; {moves}" if moves else "")


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
  inner.forEach((o, i) => o.setAttribute('data-hplab-dashboard', String(i)));
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
    """Move the dashboard's first enabled slider one step with the keyboard, like a learner.

    Returns what happened: which slider, and how many seconds until the picture and the
    diagnosis changed (absent when they never did), plus any problems.
    """
    dash = page.locator(f'[data-hplab-dashboard="{dash_index}"]')
    handle = dash.locator(".noUi-target:not([disabled]) .noUi-handle").first
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


def _check_dashboards(page, report: Report, root_selector, *, idle=None, error_count=None):
    count = page.evaluate(FIND_DASHBOARDS_JS, root_selector)
    for i in range(count):
        moved = move_slider(page, i, idle=idle, error_count=error_count)
        report.problems += moved.pop("problems")
        report.dashboards.append(moved)


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


def check_lab_notebook(page, base: str, path: str, stem: str) -> Report:
    """Open ``path`` in JupyterLab, run all cells, move every dashboard's slider; list problems."""
    report = Report(path)
    start = time.monotonic()
    try:
        if not page.url.startswith(f"{base}/lab"):  # one JupyterLab tab serves many notebooks
            page.goto(f"{base}/lab?reset&token={TOKEN}", timeout=OPEN_TIMEOUT * 1000)
            page.wait_for_function(APP_READY_JS, timeout=OPEN_TIMEOUT * 1000, polling=100)
        page.evaluate(OPEN_JS, path)
        try:  # the toolbar may say idle before the kernel is ready; the status bar knows
            page.wait_for_function(KERNEL_READY_JS, arg=path, timeout=OPEN_TIMEOUT * 1000,
                                   polling=100)
        except Exception:  # Playwright's TimeoutError
            report.problems.append(f"the kernel never became idle within {OPEN_TIMEOUT} s")
            return report
        report.seconds["open"] = time.monotonic() - start
        cells = page.evaluate(LAB_CELLS_JS)
        if any(c["source"].strip() for c in cells):
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
            t = time.monotonic()
            page.wait_for_function(RUN_FINISHED_JS, timeout=RUN_TIMEOUT * 1000, polling=100)
            report.seconds["run all"] = time.monotonic() - t
        report.problems += cell_problems(page.evaluate(LAB_CELLS_JS))
        root = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
        _widgets_drawn(page, root)  # what is left undrawn is reported just below
        report.problems += page.evaluate(DOM_PROBLEMS_JS, [root, list(WIDGET_FAILURES)])
        t = time.monotonic()
        _check_dashboards(page, report, root, idle=lambda: _lab_idle(page),
                          error_count=lambda: page.evaluate(LOG_COUNT_JS))
        if report.dashboards:
            report.seconds["sliders"] = time.monotonic() - t
        report.problems += page.evaluate(DOM_PROBLEMS_JS, [root, list(WIDGET_FAILURES)])
        report.problems += _log_console_errors(page)
    finally:
        _screenshot(page, report, stem)
        try:
            page.evaluate(CLOSE_JS)
        except Exception:  # a page in a bad state: the next notebook loads JupyterLab afresh
            page.goto("about:blank")
        report.seconds["total"] = time.monotonic() - start
    return report


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
        _check_dashboards(page, report, None)
        report.problems += page.evaluate(DOM_PROBLEMS_JS, [None, list(WIDGET_FAILURES)])
        report.problems += [f"browser console error: {m[:300]}" for m in console
                            if not any(h in m for h in HARMLESS_CONSOLE)]
    finally:
        _screenshot(page, report, stem)
        report.seconds["total"] = time.monotonic() - start
    return report
