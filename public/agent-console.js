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
  // One state at a time (the server decides it: src/agents/console-state.ts): heading, line under it, status word.
  const PHASES = {
    offered: { title: 'Call offered', line: 'Accept to have your phone rung.', status: 'call offered' },
    ringing: { title: 'Your phone is ringing', line: 'Pick up to take the call.', status: 'your phone is ringing' },
    calling_visitor: { title: 'Calling the visitor', line: 'You hear ringing until the visitor answers.', status: 'calling the visitor' },
    connecting: { title: 'Connecting', line: 'Connecting…', status: 'connecting' },
    connected: { title: 'On a call', line: 'Connected', status: 'on a call' },
  };
  const STATUS_WORDS = { available: 'available', away: 'away', wrap_up: 'wrap-up' };
  const QUEUE_WORDS = { queued: 'waiting', scheduled: 'scheduled', dialing: 'being called', connected: 'in a call' };
  // Timers count on the server's clock: the browser's may be off by minutes.
  let skew = 0;
  const serverNow = () => Date.now() + skew;
  const clock = (ms) => {
    const t = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
    return (h ? h + ':' + String(m).padStart(2, '0') : String(m)) + ':' + String(sec).padStart(2, '0');
  };
  let settling = false;

  // The running parts: the call's timer and the wrap-up countdown; a wrap-up that ran out asks the server again.
  function tick() {
    const s = state;
    const o = s.offer;
    const timer = $('call-timer');
    const talking = s.phase === 'connected' && o && o.connectedAt;
    timer.hidden = !talking;
    if (talking) timer.textContent = clock(serverNow() - new Date(o.connectedAt).getTime());
    const wrap = $('agent-wrapup');
    if (s.phase === 'wrap_up' && s.agent.wrapUpUntil) {
      const left = new Date(s.agent.wrapUpUntil).getTime() - serverNow();
      wrap.textContent = left > 0 ? clock(left) + ' left' : '';
      if (left <= 0 && !settling) { settling = true; refresh().finally(() => { settling = false; }); }
    } else {
      wrap.textContent = '';
    }
  }

  // The chat a request came with (src/chat): read once per offered request, written as text.
  let chatFor = null;
  function showChat(requestId) {
    if (chatFor === requestId) return;
    chatFor = requestId;
    $('offer-chat').hidden = true;
    fetch('/agent/chats/of-request/' + requestId, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : { chats: [] }))
      .then((j) => {
        if (chatFor !== requestId) return;
        const ol = $('offer-chat-lines'); ol.textContent = '';
        for (const c of j.chats) for (const l of c.lines) {
          const li = document.createElement('li');
          li.textContent = (l.who ? l.who + ' ' : '') + l.body;
          ol.appendChild(li);
        }
        $('offer-chat').hidden = !ol.children.length;
      }).catch(() => {});
  }

  function render() {
    const s = state;
    const phase = PHASES[s.phase];
    text('agent-status', phase ? phase.status : (STATUS_WORDS[s.phase] || s.phase));
    $('console').dataset.phase = s.phase;
    text('agent-device', s.agent.deviceState);
    const o = s.offer;
    $('offer').hidden = !o;
    if (o) {
      const r = o.request;
      // A web call: the visitor is already on the line from the browser, with no phone number.
      const web = r.kind === 'webcall';
      $('offer-title').textContent = (web ? 'Web call: ' : '') + (phase ? phase.title : 'Call offered');
      $('offer').dataset.kind = web ? 'webcall' : 'callback';
      text('offer-kind', web ? 'Web call (the visitor calls from the browser)' : 'Call-back (we call the visitor\'s phone)');
      text('offer-name', r.visitorName); text('offer-phone', web ? 'none (web call)' : r.phoneE164); text('offer-subscriber', r.subscriberName);
      text('offer-department', r.departmentName); text('offer-message', r.message);
      link('offer-page-url', r.pageUrl); link('offer-referrer', r.referrer);
      text('offer-state', phase ? phase.line : '');
      showChat(o.requestId);
      const ul = $('offer-earlier'); ul.textContent = '';
      if (!o.earlier.length) { const li = document.createElement('li'); li.textContent = 'None'; ul.appendChild(li); }
      for (const e of o.earlier) {
        const li = document.createElement('li');
        li.textContent = when(e.createdAt) + ' · ' + e.subscriberName + ' · ' + e.status + (e.message ? ' · ' + e.message : '');
        ul.appendChild(li);
      }
      const live = s.phase === 'connected' || s.phase === 'calling_visitor' || s.phase === 'connecting';
      $('accept').hidden = !((o.mode === 'agent_first' && s.phase === 'offered') || (s.phase === 'ringing' && ringingHere()));
      $('decline').hidden = live;
      $('hangup').hidden = !live;
      // Mute, hold and transfer belong to a call in progress (agent-first: the call is the worker's session).
      const controls = s.phase === 'connected' && o.mode === 'agent_first';
      $('mute').hidden = !controls; $('hold').hidden = !controls;
      $('mute').textContent = o.muted ? 'Unmute' : 'Mute'; $('mute').setAttribute('aria-pressed', String(!!o.muted));
      $('hold').textContent = o.held ? 'Resume' : 'Hold'; $('hold').setAttribute('aria-pressed', String(!!o.held));
      const flags = [o.muted ? 'You are muted' : '', o.held ? 'The visitor is on hold (music)' : ''].filter(Boolean);
      if (o.transferTo) flags.push('Transferring to ' + o.transferTo + '…');
      $('call-flags').hidden = !controls || !flags.length;
      $('call-flags').textContent = flags.join(' · ');
      const targets = s.transferTargets || [];
      $('transfer-form').hidden = !controls || !targets.length || !!o.transferTo;
      const sel = $('transfer-target');
      const sig = targets.map((x) => x.id).join(',');
      if (sel.dataset.sig !== sig) {
        sel.dataset.sig = sig; sel.textContent = '';
        for (const x of targets) { const op = document.createElement('option'); op.value = x.id; op.textContent = x.label; sel.appendChild(op); }
      }
    }
    const l = s.lastCall;
    $('last-call').hidden = !l;
    if (l && lastDispositionFor !== l.request.id) {
      lastDispositionFor = l.request.id;
      text('last-name', l.request.visitorName); text('last-phone', l.request.kind === 'webcall' ? 'none (web call)' : l.request.phoneE164);
      $('disposition').value = l.disposition ? l.disposition.disposition : 'resolved';
      $('notes').value = l.disposition ? l.disposition.notes : '';
      $('disposition-saved').textContent = l.disposition ? 'saved' : '';
    }
    const tb = $('queue'); tb.textContent = '';
    for (const q of s.queue) {
      const tr = document.createElement('tr');
      for (const v of [when(q.createdAt), q.subscriberName + (q.departmentName ? ' / ' + q.departmentName : ''), q.visitorName || '', q.kind === 'webcall' ? 'web call' : q.phoneE164, QUEUE_WORDS[q.status] || q.status]) {
        const td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
      }
      tb.appendChild(tr);
    }
  }

  async function refresh() {
    const r = await fetch('/agent/state', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    if (r.status === 401) { location.href = '/agent/login'; return; }
    if (r.ok) { state = await r.json(); skew = new Date(state.serverNow).getTime() - Date.now(); render(); tick(); }
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
  // The browser softphone (softphone bundle), when this session answers in the browser: Accept picks up the call
  // ringing in the browser, Decline refuses it (603), Hang up ends it there; mute also silences the microphone.
  const phone = () => window.beckonSoftphone || null;
  const ringingHere = () => !!phone() && phone().state() === 'ringing';
  $('accept').addEventListener('click', () => {
    if (ringingHere()) { phone().answer(); return; }
    if (phone()) phone().accepted();
    if (state.offer) post('/agent/call/accept', { attemptId: state.offer.attemptId });
  });
  $('decline').addEventListener('click', () => {
    if (ringingHere()) { phone().reject(); return; }
    if (state.offer) post('/agent/call/decline', { attemptId: state.offer.attemptId });
  });
  $('hangup').addEventListener('click', () => {
    if (phone() && phone().hangup()) return;
    if (state.offer) post('/agent/call/hangup', { attemptId: state.offer.attemptId });
  });
  $('mute').addEventListener('click', () => {
    if (!state.offer) return;
    if (phone()) phone().mute(!state.offer.muted);
    post('/agent/call/' + (state.offer.muted ? 'unmute' : 'mute'), { attemptId: state.offer.attemptId });
  });
  $('hold').addEventListener('click', () => state.offer && post('/agent/call/' + (state.offer.held ? 'unhold' : 'hold'), { attemptId: state.offer.attemptId }));
  $('transfer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (state.offer && $('transfer-target').value) post('/agent/call/transfer', { attemptId: state.offer.attemptId, target: $('transfer-target').value });
  });
  $('disposition-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!state.lastCall) return;
    const ok = await post('/agent/requests/' + state.lastCall.request.id + '/disposition', { disposition: $('disposition').value, notes: $('notes').value });
    if (ok) $('disposition-saved').textContent = 'saved';
  });

  // "Answer in the browser": the choice, and what the softphone is doing, under the status line.
  const SOFTPHONE_WORDS = {
    off: '', connecting: 'Connecting the browser phone…', registered: 'Calls ring in this browser.',
    failed: 'The browser phone could not connect (microphone refused or phone system unreachable).',
    ringing: 'Ringing in the browser.', in_call: 'On a call in the browser.',
  };
  if ($('softphone')) {
    $('softphone').hidden = false;
    $('softphone-on').addEventListener('change', async (ev) => {
      const box = ev.target;
      box.disabled = true;
      const ok = phone() ? await phone().choose(box.checked) : false;
      if (!ok) box.checked = !box.checked;
      box.disabled = false;
      await refresh();
    });
    document.addEventListener('softphone', (ev) => {
      const st = ev.detail.state;
      $('softphone-on').checked = st !== 'off' && st !== 'failed';
      $('softphone-state').textContent = SOFTPHONE_WORDS[st] || '';
      $('softphone').dataset.state = st;
      render();
    });
  }

  const es = new EventSource('/agent/events');
  for (const ev of ['hello', 'offer', 'call', 'status', 'controls', 'queue', 'tick']) es.addEventListener(ev, () => refresh());
  skew = new Date(state.serverNow).getTime() - Date.now();
  render();
  tick();
  setInterval(tick, 1000);
})();
