/**
 * The console's only two static files, served from memory: the stylesheet (every page is readable and
 * usable without it or without the script) and the live-update script.
 */

export const CONSOLE_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --run: #0969da; --off: #6e7781; --focus: #0550ae; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
a { color: #0550ae; }
a:focus-visible, button:focus-visible, select:focus-visible, input:focus-visible, main:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
code { font: 13px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: 6px 10px; }
.skip:focus { left: 8px; z-index: 2; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.top { display: flex; gap: 24px; align-items: center; padding: 10px 24px; background: #24292f; color: #fff; }
.top a { color: #fff; text-decoration: none; padding: 4px 8px; border-radius: 6px; }
.top a[aria-current="page"] { background: #57606a; }
.top .brand { font-weight: 700; margin: 0; }
.top nav { display: flex; gap: 8px; }
.top .store { margin: 0 0 0 auto; color: #d0d7de; font-size: 13px; }
.top .store code { color: #fff; }
main { padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 8px 0 12px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
.muted { color: var(--muted); }
.notice { padding: 8px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); }
.notice.error { border-color: var(--bad); background: #ffebe9; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; color: #fff; background: var(--off); }
.st-success { background: var(--ok); } .st-failed { background: var(--bad); } .st-waiting { background: var(--warn); }
.st-running { background: var(--run); } .st-cancelled { background: var(--off); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 14px; }
caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; }
tbody th { font-weight: 400; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
table.list th a, table.list time, table.list td:nth-child(4) { white-space: nowrap; }
table.list th a { font: 13px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; }
.filters { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
select, input[type="search"] { font: inherit; padding: 4px 6px; border: 1px solid #8c959f; border-radius: 6px; }
input[type="search"] { min-width: 280px; }
button { font: inherit; padding: 5px 14px; border-radius: 6px; border: 1px solid #8c959f; background: var(--panel); cursor: pointer; }
.act-continue { background: var(--ok); border-color: var(--ok); color: #fff; }
.act-retry { background: var(--run); border-color: var(--run); color: #fff; }
.act-cancel { background: #fff; border-color: var(--bad); color: var(--bad); }
.decide { border: 2px solid var(--warn); border-radius: 8px; padding: 4px 16px 8px; background: #fff8c5; }
.decide form { display: flex; gap: 12px; }
.help { color: var(--muted); font-size: 13px; padding-left: 18px; }
.meta, .counts { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 8px 0; }
.meta div, .counts div { min-width: 90px; }
dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
dd { margin: 0; font-weight: 600; }
.counts dd { font-size: 22px; font-variant-numeric: tabular-nums; }
.c-failed dd { color: var(--bad); } .c-attached dd { color: var(--ok); }
.timeline { display: block; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); }
.b-success { fill: var(--ok); } .b-failed { fill: var(--bad); } .b-running { fill: var(--run); }
.b-pending { fill: #d0d7de; } .b-cancelled { fill: #8c959f; }
.legend-text { font-size: 12px; color: var(--muted); }
.key { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; }
.key.b-success { background: var(--ok); } .key.b-failed { background: var(--bad); } .key.b-running { background: var(--run); }
.key.b-pending { background: #d0d7de; } .key.b-cancelled { background: #8c959f; }
.pager { display: flex; gap: 12px; align-items: center; margin: 8px 0; }
.chart { max-width: 860px; display: block; }
.chart .grid { stroke: var(--line); } .chart .axis { font-size: 11px; fill: var(--muted); }
.chart .legend text { font-size: 12px; fill: var(--fg); }
.chart polyline { stroke-width: 2.5; }
.s0 polyline { stroke: #0969da; } .marker.s0 { fill: #0969da; }
.s1 polyline { stroke: #bf3989; stroke-dasharray: 6 3; } .marker.s1 { fill: #bf3989; }
.s2 polyline { stroke: #1a7f37; stroke-dasharray: 2 3; } .marker.s2 { fill: #1a7f37; }
.s3 polyline { stroke: #9a6700; } .marker.s3 { fill: #9a6700; }
`;

/**
 * Live updates by polling: while `<main data-poll>` is non-zero, fetch the same URL again and replace each
 * `[data-live]` region that changed (its `data-version`, when it has one; unless the keyboard focus is inside it), then adopt the new page's
 * poll interval (0 once the execution has ended). Read-only pages work the same without it.
 */
export const CONSOLE_JS = `(() => {
  "use strict";
  const main = document.getElementById("main");
  if (!main) return;
  const next = () => {
    const ms = Number(main.dataset.poll || 0);
    if (ms > 0) setTimeout(tick, ms);
  };
  const tick = async () => {
    try {
      const response = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return next();
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const region of document.querySelectorAll("[data-live]")) {
        const replacement = fresh.querySelector('[data-live="' + region.dataset.live + '"]');
        if (!replacement) continue;
        // A region with a version (the decision form, whose CSRF token is new on every render) is replaced
        // only when its version changes, so that a button is never swapped under the pointer.
        const version = region.dataset.version;
        if (version !== undefined ? version === replacement.dataset.version : replacement.innerHTML === region.innerHTML) continue;
        if (region.contains(document.activeElement) && document.activeElement !== document.body) continue;
        region.replaceWith(document.importNode(replacement, true));
      }
      const freshMain = fresh.getElementById("main");
      main.dataset.poll = freshMain ? freshMain.dataset.poll || "0" : "0";
      document.documentElement.dataset.refreshed = String(Number(document.documentElement.dataset.refreshed || 0) + 1);
    } catch (error) {
      // The console stopped or the network blipped: try again at the same pace.
    }
    next();
  };
  next();
})();
`;
