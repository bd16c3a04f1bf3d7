"""report.html: one self-contained page about a cohort, for the instructor to look at rather than read.

Everything is inline (CSS, SVG charts drawn here, a few lines of JS that sort the learner table) and the
Content-Security-Policy allows no network at all, so the page works offline and from an email
attachment. Every text that came from a roster or a cloud is escaped; the script runs only by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from html import escape
from typing import Any

from labcheck.cohort.gradebook import Record, check_ids, summary

_BAR_ROW, _LABEL_W, _BAR_W = 24, 300, 360
_HIST_W, _HIST_H = 640, 200
_TOP_MESSAGES = 3

_SCRIPT = """
(function () {
  var table = document.getElementById("learners");
  var heads = table.tHead.rows[0].cells;
  function key(row, col) {
    var cell = row.cells[col], v = cell.getAttribute("data-sort");
    v = v === null ? cell.textContent : v;
    return isNaN(parseFloat(v)) ? v.toLowerCase() : parseFloat(v);
  }
  function sortBy(col, desc) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
    });
    rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    heads[col].setAttribute("aria-sort", desc ? "descending" : "ascending");
  }
  for (var i = 0; i < heads.length; i++) {
    heads[i].addEventListener("click", (function (col) {
      return function () { sortBy(col, heads[col].getAttribute("aria-sort") === "ascending"); };
    })(i));
  }
  var wanted = /^#sort=([a-z]+)(-desc)?$/.exec(location.hash);
  for (var j = 0; wanted && j < heads.length; j++) {
    if (heads[j].getAttribute("data-key") === wanted[1]) { sortBy(j, !!wanted[2]); }
  }
  table.setAttribute("data-sortable", "ready");
})();
"""

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.sub{color:#59636e;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #d1d9e0;border-radius:8px;padding:10px 16px;min-width:110px}
.card b{display:block;font-size:24px}.pass{color:#1a7f37}.fail{color:#cf222e}.error{color:#9a6700}
svg text{font:12px system-ui,sans-serif;fill:#1f2328}.bar{fill:#2da44e}.bar-fail{fill:#cf222e}.bar-error{fill:#d4a72c}
.rest{fill:#eaeef2}.hist{fill:#0969da}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d1d9e0;padding:5px 8px;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f6f8fa;user-select:none}th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}td.num{text-align:right}code{font-size:12px}
ul.msgs{margin:2px 0 10px;padding-left:20px}.count{color:#59636e}
"""

_NOISE = (
    (re.compile(r"\b(vpc|subnet|sg|vpce|rtb|igw|nat|eni|eigw|tgw|pcx|i)-[0-9a-f]{8,17}\b"), r"\1-…"),
    (re.compile(r"\b\d{12}\b"), "<account>"),
)


def _normalise(message: str) -> str:
    """A failure message with resource ids and account numbers blanked, so alike failures count together."""
    for pattern, replacement in _NOISE:
        message = pattern.sub(replacement, message)
    return message


def _results(records: list[Record]) -> list[dict[str, Any]]:
    return [item for r in records if r.get("result") for item in r["result"]["results"]]


def _pass_rates(records: list[Record], ids: list[str]) -> list[tuple[str, str, Counter[str]]]:
    """(check id, severity, status counts) per check, with "fail" counting PENDING too; SKIP is left out."""
    rows = []
    results = _results(records)
    for check_id in ids:
        mine = [r for r in results if r["id"] == check_id and r["status"] != "skip"]
        counts = Counter("fail" if r["status"] == "pending" else r["status"] for r in mine)
        rows.append((check_id, mine[0]["severity"] if mine else "required", counts))
    return rows


def _bar_chart(rates: list[tuple[str, str, Counter[str]]]) -> str:
    """Horizontal bars: passed (green), failed (red), not evaluated (amber) of the learners it applied to."""
    height = _BAR_ROW * len(rates) + 8
    parts = [f'<svg id="pass-rates" width="{_LABEL_W + _BAR_W + 110}" height="{height}" role="img">']
    for row, (check_id, severity, counts) in enumerate(rates):
        y, x, applicable = row * _BAR_ROW + 4, float(_LABEL_W), sum(counts.values())
        label = check_id + ("" if severity == "required" else " (advisory)")
        parts += [
            f'<text x="{_LABEL_W - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>',
            f'<rect class="rest" x="{_LABEL_W}" y="{y}" width="{_BAR_W}" height="18"/>',
        ]
        for status, css in (("pass", "bar"), ("fail", "bar-fail"), ("error", "bar-error")):
            width = _BAR_W * counts[status] / applicable if applicable else 0.0
            tip = f"{check_id}: {counts[status]} of {applicable} {status}"
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{y}" width="{width:.1f}" height="18">'
                f"<title>{escape(tip)}</title></rect>"
            )
            x += width
        share = counts["pass"] / applicable if applicable else 0.0
        parts.append(
            f'<text x="{_LABEL_W + _BAR_W + 8}" y="{y + 15}">{share:.0%} ({counts["pass"]}/{applicable})</text>'
        )
    return "\n".join([*parts, "</svg>"])


def _histogram(records: list[Record], top: int) -> str:
    scores = Counter(r["score"] for r in records if r.get("result"))
    bins = top + 1
    tallest = max(scores.values(), default=1)
    width = (_HIST_W - 40) / max(bins, 1)
    parts = [f'<svg id="scores" width="{_HIST_W}" height="{_HIST_H + 40}" role="img">']
    for score in range(bins):
        count = scores.get(score, 0)
        bar = (_HIST_H - 20) * count / tallest
        x = 30 + score * width
        if count:
            parts.append(
                f'<rect class="hist" x="{x + 1:.1f}" y="{_HIST_H - bar:.1f}" width="{max(width - 2, 1):.1f}" '
                f'height="{bar:.1f}"><title>{count} learner(s) scored {score}</title></rect>'
                f'<text x="{x + width / 2:.1f}" y="{_HIST_H - bar - 4:.1f}" text-anchor="middle">{count}</text>'
            )
        if bins <= 31 or score % 5 == 0:
            parts.append(f'<text x="{x + width / 2:.1f}" y="{_HIST_H + 16}" text-anchor="middle">{score}</text>')
    parts.append(f'<text x="{_HIST_W / 2}" y="{_HIST_H + 36}" text-anchor="middle">score (points)</text>')
    return "\n".join([*parts, "</svg>"])


def _common_failures(records: list[Record], ids: list[str]) -> str:
    by_check: dict[str, Counter[str]] = {check_id: Counter() for check_id in ids}
    for item in _results(records):
        if item["status"] in ("fail", "error", "pending"):
            by_check[item["id"]][f"{item['status'].upper()}: {_normalise(item['message'])}"] += 1
    errors = Counter(_normalise(r["reason"]) for r in records if r["status"] == "error" and not r.get("result"))
    parts = []
    if errors:
        by_check = {"(not graded)": errors, **by_check}
    for check_id, messages in by_check.items():
        if messages:
            items = "".join(
                f'<li><span class="count">{n}&times;</span> {escape(m)}</li>'
                for m, n in messages.most_common(_TOP_MESSAGES)
            )
            parts.append(f'<h3><code>{escape(check_id)}</code></h3><ul class="msgs">{items}</ul>')
    return "\n".join(parts) or "<p>No failures.</p>"


def _learner_table(records: list[Record]) -> str:
    heads = ("learner", "name", "status", "score", "max", "failing", "reason")
    head = "".join(f'<th data-key="{h}">{h}</th>' for h in heads)
    rows = []
    for r in records:
        failing = [x["id"] for x in (r.get("result") or {}).get("results", []) if x["status"] in ("fail", "pending")]
        cells = (
            f"<td>{escape(r['learner'])}</td><td>{escape(r['name'])}</td>"
            f'<td class="{escape(r["status"])}">{escape(r["status"].upper())}</td>'
            f'<td class="num" data-sort="{r["score"]}">{r["score"]}</td><td class="num">{r["max_score"]}</td>'
            f'<td data-sort="{len(failing)}">{escape(", ".join(failing))}</td><td>{escape(r["reason"])}</td>'
        )
        rows.append(f"<tr>{cells}</tr>")
    return f'<table id="learners"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def report_html(records: list[Record]) -> str:
    """The cohort report as one HTML document with no external references.

    Args:
        records: The learners' records in roster order.

    Returns:
        The HTML text.
    """
    ids = check_ids(records)
    stats = summary(records)
    title = records[0]["title"] if records else "labcheck cohort"
    lab = records[0]["lab"] if records else ""
    mean = "&ndash;" if stats["mean_score"] is None else f"{stats['mean_score']:g}"
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    policy = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
    cards = "".join(
        f'<div class="card {cls}"><b>{value}</b>{label}</div>'
        for cls, value, label in (
            ("", stats["learners"], "learners"),
            ("pass", stats["pass"], "passed"),
            ("fail", stats["fail"], "failed"),
            ("error", stats["error"], "not graded / errors"),
            ("", f"{mean} / {stats['max_score']}", "mean score"),
        )
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(lab)}: cohort report</title><style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1><p class="sub">Lab <code>{escape(lab)}</code> · cohort report from labcheck</p>
<div class="cards">{cards}</div>
<h2>Pass rate per requirement</h2>
<p class="sub">Green passed, red failed or pending, amber could not be evaluated; of the learners it applied to.</p>
{_bar_chart(_pass_rates(records, ids))}
<h2>Score distribution</h2>
{_histogram(records, stats["max_score"])}
<h2>Most common failures per requirement</h2>
{_common_failures(records, ids)}
<h2>Learners</h2>
<p class="sub">Click a column heading to sort; add <code>#sort=score-desc</code> to the address to open sorted.</p>
{_learner_table(records)}
<script>{_SCRIPT}</script>
</body></html>
"""
