// The agent's Warm Transfer settings page: plain HTML rendered here, and a small script that talks to the
// same API (with the session cookie the sign-in form sets). No build step. Each response's inline script
// and style carry the nonce its Content-Security-Policy names (security-headers.ts).
import { NOT_DIALLED_HEADING } from '../settings/rules/read-back.ts';
import type { WarmTransferSection } from './agents.ts';
import type { StoredEvent } from '../settings/store/store.ts';

export const esc = (text: unknown) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A whole page; `style`: rules of its own beside the shared ones. */
export const layout = (title: string, nonce: string, body: string, style = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style nonce="${esc(nonce)}">
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2433; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  section { border: 1px solid #d5dae3; border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
  label { display: block; margin: .6rem 0; } textarea { width: 100%; min-height: 8rem; font: inherit; }
  .plan { background: #f4f7fb; border-radius: 6px; padding: .5rem 1rem; } .plan li { margin: .2rem 0; } .plan li.heading { font-weight: 600; margin-top: .6rem; } .plan li.not-dialled { margin-left: 1.2rem; color: #8a4b00; }
  .error { color: #a11b1b; } .ok { color: #17692f; } .muted { color: #5b6577; }
  button { font: inherit; padding: .35rem .9rem; } code { font-size: .9em; }${style}
</style></head><body>${body}</body></html>`;

/** Which page signing in leads back to: the settings page, or its transfers page. */
export type PageName = 'settings' | 'transfers';

export function signInPage(agentId: string, nonce: string, problem?: string, then: PageName = 'settings'): string {
  return layout(
    `Sign in: ${agentId}`,
    nonce,
    `<h1>Agent ${esc(agentId)}</h1>
<form method="post" action="/agents/${esc(agentId)}/session">
  <label>Access token <input id="token" name="token" type="password" autocomplete="off" required></label>${
    then === 'settings'
      ? ''
      : `
  <input type="hidden" name="then" value="${then}">`
  }
  ${problem ? `<p class="error" role="alert">${esc(problem)}</p>` : ''}
  <button id="sign-in" type="submit">Sign in</button>
</form>`,
  );
}

/** Ends the session (the cookie is sent only by this site's own pages: SameSite=Strict). */
export const signOut = (agentId: string) =>
  `<form method="post" action="/agents/${esc(agentId)}/sign-out"><button id="sign-out" type="submit">Sign out</button></form>`;

/** The not-dialled heading and its entries stand apart from the plan's own lines. */
function lineClass(line: string): string {
  if (line === NOT_DIALLED_HEADING) return ' class="heading"';
  return line.startsWith('  ') ? ' class="not-dialled"' : '';
}

function planList(section: WarmTransferSection): string {
  const { lines, warnings, errors } = section.plan;
  return (
    [
      ...lines.map((l) => `<li${lineClass(l)}>${esc(l)}</li>`),
      ...warnings.map((w) => `<li class="muted">${esc(w)}</li>`),
      ...errors.map((e) => `<li class="error">${esc(e)}</li>`),
    ].join('') || '<li class="muted">No rules yet.</li>'
  );
}

function events(agentId: string, transfers: Array<{ transferId: string; entries: StoredEvent[] }>, messages: StoredEvent[]): string {
  const transferItems = transfers
    .map((t) => {
      const steps = t.entries.map((e) => esc(e.data.type)).join(' → ');
      const ended = t.entries.find((e) => e.data.type === 'ended');
      return `<li><code>${esc(t.transferId.slice(0, 8))}</code> ${esc(t.entries[0]?.at ?? '')}: ${steps}${ended ? ` (<b>${esc(ended.data.outcome)}</b>)` : ''}</li>`;
    })
    .join('');
  const messageItems = messages
    .map((m) => `<li>${esc(m.at)}: <b>${esc(m.data.name)}</b> (${esc(m.data.callbackNumber)}): ${esc(m.data.message)}</li>`)
    .join('');
  return `<h2>Recent transfers</h2>
<p><a id="transfers-page" href="/agents/${esc(agentId)}/transfers">The last day's transfers: outcomes, time on hold, destinations</a></p>
<ul id="transfers">${transferItems || '<li class="muted">None yet.</li>'}</ul>
<h2>Messages</h2><ul id="messages">${messageItems || '<li class="muted">None yet.</li>'}</ul>`;
}

export function settingsPage(
  agentId: string,
  section: WarmTransferSection,
  transfers: Array<{ transferId: string; entries: StoredEvent[] }>,
  messages: StoredEvent[],
  nonce: string,
): string {
  if (!section.warmTransferAvailable) {
    return layout(
      `Warm Transfer: ${agentId}`,
      nonce,
      `<h1>Agent ${esc(agentId)}</h1>${signOut(agentId)}<section id="warm-transfer"><h2>Warm Transfer</h2>
<p id="unavailable">Warm transfer is not available to your organization. Contact your administrator or service provider to make it available.</p></section>
${events(agentId, transfers, messages)}`,
    );
  }
  const music = section.holdMusic
    ? `${esc(section.holdMusic.name)} (${esc(section.holdMusic.format.toUpperCase())}, ${Math.round(section.holdMusic.durationMs / 100) / 10} s)`
    : 'Built-in music';
  return layout(
    `Warm Transfer: ${agentId}`,
    nonce,
    `<h1>Agent ${esc(agentId)}</h1>${signOut(agentId)}
<section id="warm-transfer"><h2>Warm Transfer</h2>
  <label><input id="enabled" type="checkbox" ${section.enabled ? 'checked' : ''}> Enable warm transfer</label>
  <label for="rules">Warm Transfer Rules</label>
  <textarea id="rules" spellcheck="true">${esc(section.rules)}</textarea>
  <p class="muted">What the agent will do:</p>
  <ul id="plan" class="plan" aria-live="polite">${planList(section)}</ul>
  <label><input id="pass-through" type="checkbox" ${section.passThroughCallerNumber ? 'checked' : ''}> Pass through the caller's number to the person called</label>
  <label>Ring for at most <input id="ringing-timeout" type="number" min="5" max="75" value="${section.ringingTimeoutSeconds}"> seconds</label>
  <button id="save" type="button">Save</button> <span id="save-status" role="status"></span>
  <ul id="save-problems" class="error"></ul>
</section>
<section id="hold-music"><h2>Hold music</h2>
  <p>Now: <span id="hold-music-name">${music}</span></p>
  <audio id="player" controls preload="none" src="/v1/agents/${esc(agentId)}/hold-music?v=${section.version}"></audio>
  <p><input id="hold-music-file" type="file" accept=".mp3,.wav,audio/mpeg,audio/wav"> <button id="upload" type="button">Upload</button>
  <button id="builtin" type="button">Use the built-in music</button></p>
  <p class="muted">MP3 or WAV, at most 4 MB.</p>
  <p id="upload-status" role="status"></p>
</section>
${events(agentId, transfers, messages)}
<script nonce="${esc(nonce)}">${script(agentId)}</script>`,
  );
}

function script(agentId: string): string {
  const base = `/v1/agents/${encodeURIComponent(agentId)}`;
  return `
const $ = (id) => document.getElementById(id);
const base = ${JSON.stringify(base)};
const headers = { 'x-settings-page': '1' };
const text = (el, value, cls) => { el.textContent = value; el.className = cls || ''; };
function showPlan(plan) {
  const list = $('plan'); list.replaceChildren();
  const add = (t, cls) => { const li = document.createElement('li'); li.textContent = t; if (cls) li.className = cls; list.append(li); };
  plan.lines.forEach((l) => add(l, l === ${JSON.stringify(NOT_DIALLED_HEADING)} ? 'heading' : l.startsWith('  ') ? 'not-dialled' : ''));
  plan.warnings.forEach((w) => add(w, 'muted')); plan.errors.forEach((e) => add(e, 'error'));
  if (!list.children.length) add('No rules yet.', 'muted');
}
let typing;
$('rules').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(async () => {
    const r = await fetch('/v1/rules/read-back', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ rules: $('rules').value }) });
    if (r.ok) showPlan(await r.json());
  }, 300);
});
$('save').addEventListener('click', async () => {
  text($('save-status'), 'Saving…'); $('save-problems').replaceChildren();
  const body = { enabled: $('enabled').checked, rules: $('rules').value, passThroughCallerNumber: $('pass-through').checked, ringingTimeoutSeconds: Number($('ringing-timeout').value) };
  const r = await fetch(base + '/warm-transfer', { method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await r.json().catch(() => ({ error: 'the service gave no answer' }));
  if (r.ok) { showPlan(answer.plan); text($('save-status'), 'Saved.', 'ok'); return; }
  text($('save-status'), answer.error || ('Not saved (' + r.status + ')'), 'error');
  for (const p of answer.problems || []) { const li = document.createElement('li'); li.textContent = p; $('save-problems').append(li); }
});
$('upload').addEventListener('click', async () => {
  const file = $('hold-music-file').files[0];
  if (!file) { text($('upload-status'), 'Choose an MP3 or WAV file first.', 'error'); return; }
  text($('upload-status'), 'Uploading…');
  const form = new FormData(); form.append('file', file);
  const r = await fetch(base + '/hold-music', { method: 'POST', headers, body: form }).catch(() => undefined);
  const answer = r ? await r.json().catch(() => ({})) : {};
  if (r && r.ok) {
    text($('upload-status'), 'Accepted: ' + answer.name + ' (' + answer.format.toUpperCase() + ', ' + (Math.round(answer.durationMs / 100) / 10) + ' s).', 'ok');
    text($('hold-music-name'), answer.name);
    $('player').src = base + '/hold-music?v=' + Date.now();
  } else {
    text($('upload-status'), 'Not accepted: ' + (answer.error || (r ? 'error ' + r.status : 'the upload failed')), 'error');
  }
});
$('builtin').addEventListener('click', async () => {
  const r = await fetch(base + '/hold-music', { method: 'DELETE', headers });
  if (r.ok) { text($('hold-music-name'), 'Built-in music'); text($('upload-status'), 'Back to the built-in music.', 'ok'); $('player').src = base + '/hold-music?v=' + Date.now(); }
});
`;
}
