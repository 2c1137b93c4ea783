import type { QualityReport } from "./quality.js";
import type { DatasetStats, GroupStats } from "./stats.js";

export interface DatasetView {
  name: string;
  stats: DatasetStats;
  quality: QualityReport;
}

export interface PageData {
  release: string | null;
  datasets: DatasetView[];
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Dataset contents are untrusted: everything from a CSV goes through here. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

function cell(value: unknown): string {
  return `<td>${value === null || value === undefined ? "&ndash;" : escapeHtml(value)}</td>`;
}

function columnsTable(stats: DatasetStats): string {
  const rows = stats.columns
    .map((c) => `<tr><th scope="row">${escapeHtml(c.name)}</th>${[c.kind, c.count, c.nulls, c.mean, c.min, c.max].map(cell).join("")}</tr>`)
    .join("\n");
  return `<table><thead><tr><th>column</th><th>kind</th><th>count</th><th>nulls</th><th>mean</th><th>min</th><th>max</th></tr></thead>\n<tbody>${rows}</tbody></table>`;
}

function groupTable(group: GroupStats): string {
  const rows = group.groups
    .map((g) => `<tr><th scope="row">${escapeHtml(g.key)}</th>${[g.count, g.mean, g.min, g.max].map(cell).join("")}</tr>`)
    .join("\n");
  return `<h3>${escapeHtml(group.column)} by ${escapeHtml(group.by)}</h3>\n<table><thead><tr><th>${escapeHtml(group.by)}</th><th>count</th><th>mean</th><th>min</th><th>max</th></tr></thead>\n<tbody>${rows}</tbody></table>`;
}

function qualitySection(report: QualityReport): string {
  if (report.findings.length === 0) return `<p class="ok">Quality: all checks passed.</p>`;
  const items = report.findings.map((f) => `<li class="${f.severity}"><code>${escapeHtml(f.check)}</code> ${escapeHtml(f.message)}</li>`).join("\n");
  const verdict = report.ok ? `<p class="ok">Quality: passed with warnings.</p>` : `<p class="error">Quality: failed.</p>`;
  return `${verdict}\n<ul>${items}</ul>`;
}

function datasetSection(view: DatasetView): string {
  return [
    `<section id="${escapeHtml(view.name)}">`,
    `<h2>${escapeHtml(view.name)} <small>${view.stats.rowCount} rows</small></h2>`,
    qualitySection(view.quality),
    columnsTable(view.stats),
    ...view.stats.groups.map(groupTable),
    `</section>`,
  ].join("\n");
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
td{text-align:right}.ok{color:#176f2c}.error{color:#b00020}.warning{color:#8a5a00}small{color:#666;font-weight:normal}`;

/** The dashboard page: statistics and quality findings of every dataset, rendered on the server. */
export function renderDashboardPage(data: PageData): string {
  const body = data.datasets.length === 0 ? `<p>No datasets found.</p>` : data.datasets.map(datasetSection).join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Data dashboard</title><style>${STYLE}</style></head>
<body>
<h1>Data dashboard</h1>
${body}
<footer><small>release ${escapeHtml(data.release ?? "unknown")}</small></footer>
</body>
</html>
`;
}
