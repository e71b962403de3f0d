// The transfers page beside an agent's settings page: the last day's transfers as two charts (outcomes per hour,
// time on hold) and two tables (destinations, recent transfers with their timelines). Rendered whole on the
// server from a TransferSummary; no script. Destinations appear only masked, callers not at all.
import { esc, layout, signOut } from '../page.ts';
import { GROUP_COLOURS, GROUP_LABELS, holdChart, outcomeChart } from './charts.ts';
import { OUTCOME_GROUPS, type TransferView } from './history.ts';
import type { DestinationStats, TransferSummary } from './summary.ts';

const STYLE = `
  body { max-width: 52rem; }
  table { border-collapse: collapse; width: 100%; font-size: .92em; } th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid #e3e7ee; vertical-align: top; }
  td.n, th.n { text-align: right; } td.when { white-space: nowrap; } tr.never td { background: #fff4e0; }
  .legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; } .legend svg { vertical-align: -1px; }
  .steps { color: #5b6577; font-size: .88em; } nav { display: flex; gap: 1rem; align-items: center; }
  .notice { background: #fff4e0; border-radius: 6px; padding: .5rem 1rem; }`;

const time = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

/** Seconds as people read them: `8.4 s`, `42 s`, `2 min 05 s`. */
export function duration(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

function legend(summary: TransferSummary): string {
  const items = OUTCOME_GROUPS.map(
    (g) =>
      `<li data-group="${g}"><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${GROUP_COLOURS[g]}"/></svg> ${GROUP_LABELS[g]} <b>${summary.totals[g]}</b></li>`,
  );
  return `<ul id="totals" class="legend">${items.join('')}</ul>`;
}

function readNotice(summary: TransferSummary): string {
  const { read } = summary;
  if (!read.capped) return '';
  const since = read.oldestAt ? `; they go back to ${esc(time(read.oldestAt))} UTC, so transfers before then are not counted` : '';
  return `<p id="read-cap" class="notice">Only the newest ${read.cap} timeline entries were read (the cap that keeps this page fast)${since}.</p>`;
}

function otherOutcomes(stats: DestinationStats): string {
  const other = Object.entries(stats.outcomes).filter(([outcome]) => outcome !== 'accepted');
  return other.map(([outcome, n]) => `${esc(outcome)} ${n}`).join(', ') || '—';
}

function destinationRows(summary: TransferSummary): string {
  if (summary.destinations.length === 0) return '<tr><td colspan="5" class="muted">No destination was tried in the last 24 hours.</td></tr>';
  return summary.destinations
    .map((d) => {
      const never = d.answered === 0;
      return `<tr${never ? ' class="never"' : ''}><td>${esc(d.destination)}${never ? ' <b>never answered</b>' : ''}</td><td class="n">${d.tried}</td><td class="n">${d.answered}</td><td class="n">${d.accepted}</td><td>${otherOutcomes(d)}</td></tr>`;
    })
    .join('');
}

function steps(t: TransferView): string {
  return t.steps.map((s) => `${esc(s.type)}${s.detail ? ` (${esc(s.detail)})` : ''} ${duration(s.afterMs / 1000)}`).join(' · ');
}

function recentRows(summary: TransferSummary): string {
  if (summary.recent.length === 0) return '<tr><td colspan="4" class="muted">No transfers in the last 24 hours.</td></tr>';
  return summary.recent
    .map((t) => {
      const who = t.attempts.map((a) => esc(a.destination)).join(' → ') || 'unknown destination';
      const outcome = `${GROUP_LABELS[t.group]}${t.outcome && t.outcome !== t.group ? ` <span class="muted">(${esc(t.outcome)})</span>` : ''}`;
      return `<tr data-transfer="${esc(t.transferId)}"><td class="when">${esc(time(t.startedAt))}</td><td>${who}${t.how === 'refer' ? ' <span class="muted">(REFER)</span>' : ''}</td><td>${outcome}</td><td class="n">${t.holdMs === undefined ? '—' : duration(t.holdMs / 1000)}</td></tr>
<tr class="timeline"><td></td><td colspan="3" class="steps">${steps(t)}</td></tr>`;
    })
    .join('');
}

export function transfersPage(agentId: string, summary: TransferSummary, nonce: string): string {
  const { hold, totals } = summary;
  const holdLine =
    hold.measured > 0
      ? `Median <b id="hold-median">${duration(hold.medianS ?? 0)}</b>, longest <b id="hold-longest">${duration(hold.longestS ?? 0)}</b>, over ${hold.measured} transfer${hold.measured === 1 ? '' : 's'} that put the caller on hold and ended.`
      : 'No transfer that put the caller on hold has ended in the last 24 hours.';
  return layout(
    `Transfers: ${agentId}`,
    nonce,
    `<h1>Agent ${esc(agentId)}: transfers</h1>
<nav><a id="settings-page" href="/agents/${esc(agentId)}">← Settings</a>${signOut(agentId)}</nav>
<p>The last 24 hours, from ${esc(time(summary.from))} to ${esc(time(summary.to))} UTC: <b id="transfer-count">${totals.transfers}</b> transfer${totals.transfers === 1 ? '' : 's'}.</p>
${readNotice(summary)}
<section id="outcomes"><h2>Outcomes per hour (UTC)</h2>${legend(summary)}${outcomeChart(summary, OUTCOME_GROUPS)}</section>
<section id="hold"><h2>Time on hold</h2><p class="muted">From the hold music to the bridge, or to the end of the transfer when the caller came back.</p>
<p>${holdLine}</p>${holdChart(summary)}</section>
<section><h2>Destinations</h2><table id="destinations"><thead><tr><th>Destination</th><th class="n">Tried</th><th class="n">Answered</th><th class="n">Accepted</th><th>Other outcomes</th></tr></thead>
<tbody>${destinationRows(summary)}</tbody></table></section>
<section><h2>Recent transfers</h2><table id="recent"><thead><tr><th>When (UTC)</th><th>Who</th><th>Outcome</th><th class="n">On hold</th></tr></thead>
<tbody>${recentRows(summary)}</tbody></table></section>`,
    STYLE,
  );
}
