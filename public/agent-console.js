// Agent console (served from /static: the CSP allows no inline script).
(() => {
  const root = document.getElementById('console');
  const csrf = root.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  // The first snapshot comes in a JSON block of the page (data, not script).
  let state = JSON.parse(document.getElementById('agent-snapshot').textContent);
  let lastDispositionFor = null;

  const text = (id, v) => { $(id).textContent = v == null || v === '' ? '—' : String(v); };
  // Only http(s) addresses become links: a visitor's page URL is a stranger's input.
  const link = (id, url) => {
    const el = $(id);
    el.textContent = '';
    if (!url) { el.textContent = '—'; return; }
    let ok = false;
    try { const u = new URL(url); ok = u.protocol === 'http:' || u.protocol === 'https:'; } catch (e) { ok = false; }
    if (!ok) { el.textContent = url; return; }
    const a = document.createElement('a');
    a.href = url; a.textContent = url; a.target = '_blank'; a.rel = 'noopener noreferrer';
    el.appendChild(a);
  };
  const when = (iso) => iso ? new Date(iso).toLocaleString() : '';
  const STATES = {
    offered: 'Waiting for you to accept', agent_ringing: 'Your phone is ringing', visitor_ringing: 'Calling the visitor…',
    connected: 'Connected', callee_ringing: 'Your phone is ringing', callee_whisper: 'Connecting…', visitor_ringing_cf: 'Calling the visitor…',
    visitor_confirming: 'The visitor is answering…',
  };

  function render() {
    const s = state;
    text('agent-status', s.agent.status);
    text('agent-device', s.agent.deviceState);
    $('agent-wrapup').textContent = s.agent.status === 'wrap_up' && s.agent.wrapUpUntil ? 'until ' + new Date(s.agent.wrapUpUntil).toLocaleTimeString() : '';
    const o = s.offer;
    $('offer').hidden = !o;
    if (o) {
      const r = o.request;
      text('offer-name', r.visitorName); text('offer-phone', r.phoneE164); text('offer-subscriber', r.subscriberName);
      text('offer-department', r.departmentName); text('offer-message', r.message);
      link('offer-page-url', r.pageUrl); link('offer-referrer', r.referrer);
      text('offer-state', STATES[o.callState] || o.callState || 'Offered');
      const ul = $('offer-earlier'); ul.textContent = '';
      if (!o.earlier.length) { const li = document.createElement('li'); li.textContent = 'None'; ul.appendChild(li); }
      for (const e of o.earlier) {
        const li = document.createElement('li');
        li.textContent = when(e.createdAt) + ' · ' + e.subscriberName + ' · ' + e.status + (e.message ? ' · ' + e.message : '');
        ul.appendChild(li);
      }
      const live = o.callState === 'connected' || o.callState === 'visitor_ringing' || o.callState === 'callee_whisper';
      $('accept').hidden = !(o.mode === 'agent_first' && o.callState === 'offered');
      $('decline').hidden = live;
      $('hangup').hidden = !live;
    }
    const l = s.lastCall;
    $('last-call').hidden = !l;
    if (l && lastDispositionFor !== l.request.id) {
      lastDispositionFor = l.request.id;
      text('last-name', l.request.visitorName); text('last-phone', l.request.phoneE164);
      $('disposition').value = l.disposition ? l.disposition.disposition : 'resolved';
      $('notes').value = l.disposition ? l.disposition.notes : '';
      $('disposition-saved').textContent = l.disposition ? 'saved' : '';
    }
    const tb = $('queue'); tb.textContent = '';
    for (const q of s.queue) {
      const tr = document.createElement('tr');
      for (const v of [when(q.createdAt), q.subscriberName + (q.departmentName ? ' / ' + q.departmentName : ''), q.visitorName || '', q.phoneE164, q.status]) {
        const td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
      }
      tb.appendChild(tr);
    }
  }

  async function refresh() {
    const r = await fetch('/agent/state', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    if (r.status === 401) { location.href = '/agent/login'; return; }
    if (r.ok) { state = await r.json(); render(); }
  }

  async function post(path, body) {
    const r = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf, 'x-requested-with': 'fetch' },
      body: JSON.stringify(body),
    });
    if (!r.ok) { const j = await r.json().catch(() => null); alert(j && j.error ? j.error.message : 'Something went wrong.'); }
    await refresh();
    return r.ok;
  }

  for (const b of document.querySelectorAll('.status-buttons button')) {
    b.addEventListener('click', (ev) => { ev.preventDefault(); post('/agent/status', { status: b.value }); });
  }
  $('accept').addEventListener('click', () => state.offer && post('/agent/call/accept', { attemptId: state.offer.attemptId }));
  $('decline').addEventListener('click', () => state.offer && post('/agent/call/decline', { attemptId: state.offer.attemptId }));
  $('hangup').addEventListener('click', () => state.offer && post('/agent/call/hangup', { attemptId: state.offer.attemptId }));
  $('disposition-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!state.lastCall) return;
    const ok = await post('/agent/requests/' + state.lastCall.request.id + '/disposition', { disposition: $('disposition').value, notes: $('notes').value });
    if (ok) $('disposition-saved').textContent = 'saved';
  });

  const es = new EventSource('/agent/events');
  for (const ev of ['hello', 'offer', 'call', 'status', 'queue', 'tick']) es.addEventListener(ev, () => refresh());
  render();
})();
