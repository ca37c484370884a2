// "Message us" on the hosted chat page and a call-back's status page: starts a conversation, shows its messages as
// they come (Server-Sent Events; each message once, in order, by its number), sends, ends, and offers a call-back
// when nobody answered. Messages are text: written with textContent, never as HTML. Served from /static.
(function () {
  var panel = document.getElementById('chat-panel');
  if (!panel) return;
  var d = panel.dataset;
  var storeKey = 'beckon-chat:' + (d.requestId || d.subscriber);
  var list = document.getElementById('chat-messages');
  var errorEl = document.getElementById('chat-error');
  var seen = {};
  var conv = null;
  var es = null;

  function show(id, on) { document.getElementById(id).hidden = !on; }
  function fail(e) { errorEl.textContent = (e && e.message) || 'Something went wrong. Try again.'; }

  function api(path, body) {
    errorEl.textContent = '';
    return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) throw new Error((j.error && (j.error.fields && j.error.fields[0] && j.error.fields[0].message || j.error.message)) || 'Something went wrong.');
          return j;
        });
      });
  }

  function add(m) {
    if (seen[m.seq]) return;
    seen[m.seq] = true;
    var li = document.createElement('li');
    li.className = m.author;
    li.dataset.seq = String(m.seq);
    if (m.author !== 'system') {
      var who = document.createElement('span');
      who.className = 'chat-who';
      who.textContent = m.author === 'visitor' ? 'You' : (m.authorName || 'Team');
      li.append(who);
    }
    li.append(document.createTextNode(m.body));
    // In number order, whatever order they arrive in.
    var after = null;
    list.querySelectorAll('li').forEach(function (x) { if (Number(x.dataset.seq) > m.seq && !after) after = x; });
    list.insertBefore(li, after);
    list.scrollTop = list.scrollHeight;
    if (m.kind === 'unanswered' && !d.requestId) show('chat-callback-form', true);
    if (m.kind === 'callback') { show('chat-callback-form', false); var done = document.getElementById('chat-callback-done'); done.textContent = m.body; done.hidden = false; }
    if (m.kind === 'webcall' && canCall) show('chat-webcall', true);
    if (m.kind === 'closed') ended();
  }

  // The team's invitation to a web call: Call now runs the widget's call chunk (served by Beckon, named in
  // data-webcall-chunk only where web calls are on), the panel the widget and the hosted form draw, with this
  // conversation's department. Offered only where the browser has WebRTC and a microphone API.
  var canCall = !!d.webcallChunk && typeof window.RTCPeerConnection === 'function' && !!navigator.mediaDevices
    && typeof navigator.mediaDevices.getUserMedia === 'function';

  document.getElementById('chat-webcall').addEventListener('click', function () {
    var button = this;
    button.disabled = true;
    var token = fetch('/api/v1/form-token?subscriber=' + encodeURIComponent(d.subscriber), { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : {}; }).then(function (j) { return j.token; }, function () { return undefined; });
    Promise.all([import(d.webcallChunk), token]).then(function (got) {
      var chunk = got[0];
      var dep = document.getElementById('chat-department');
      var name = document.getElementById('chat-name');
      button.hidden = true;
      chunk.runCall({
        el: document.getElementById('chat-webcall-panel'), base: location.origin, lang: document.documentElement.lang || 'en', name: d.name,
        request: {
          subscriber: d.subscriber, department: (dep && dep.value) || undefined, visitorId: chunk.visitorId(),
          name: (name && name.value.trim()) || undefined, pageUrl: d.pageUrl || location.href, formToken: got[1], website: '', source: 'widget',
        },
        onDone: function () { button.hidden = false; button.focus(); },
      });
    }, function () { fail({ message: 'We could not reach the call service. Please try again.' }); })
      .then(function () { button.disabled = false; });
  });

  function ended() {
    show('chat-send-form', false);
    show('chat-webcall', false);
    if (es) { es.close(); es = null; }
    try { sessionStorage.removeItem(storeKey); } catch (e) { /* storage off */ }
  }

  function follow(c) {
    conv = c;
    show('chat-start', false);
    show('chat-live', true);
    if (!window.EventSource) return;
    es = new EventSource('/chat/' + c.id + '/events?token=' + encodeURIComponent(c.token));
    es.addEventListener('message', function (e) { add(JSON.parse(e.data)); });
    es.addEventListener('error', function () {
      // A closed or unknown conversation answers 404 and the browser stops; anything else reconnects by itself.
      if (es && es.readyState === EventSource.CLOSED) fail({ message: 'The connection was lost. Reload the page to continue.' });
    });
  }

  document.getElementById('chat-start').addEventListener('submit', function (e) {
    e.preventDefault();
    var body = { body: document.getElementById('chat-first').value, website: document.getElementById('chat-website').value };
    // From a status page the server takes who and where from the request (this page's address holds its token).
    if (d.requestId) { body.requestId = d.requestId; body.requestToken = d.requestToken; }
    else {
      body.subscriber = d.subscriber; body.formToken = d.formToken;
      body.pageUrl = d.pageUrl || document.referrer || undefined;
      body.referrer = document.referrer || undefined;
      var name = document.getElementById('chat-name');
      var dep = document.getElementById('chat-department');
      if (name) body.name = name.value;
      if (dep) body.department = dep.value || undefined;
    }
    document.getElementById('chat-start-button').disabled = true;
    api('/chat/start', body).then(function (j) {
      var c = { id: j.id, token: j.token };
      try { sessionStorage.setItem(storeKey, JSON.stringify(c)); } catch (err) { /* storage off */ }
      follow(c);
    }).catch(fail).then(function () { document.getElementById('chat-start-button').disabled = false; });
  });

  document.getElementById('chat-send-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var box = document.getElementById('chat-body');
    var text = box.value;
    if (!conv || !text.trim()) return;
    document.getElementById('chat-send').disabled = true;
    api('/chat/' + conv.id + '/messages', { token: conv.token, body: text })
      .then(function (j) { box.value = ''; add(j.message); })
      .catch(fail).then(function () { document.getElementById('chat-send').disabled = false; box.focus(); });
  });

  document.getElementById('chat-end').addEventListener('click', function () {
    if (conv) api('/chat/' + conv.id + '/close', { token: conv.token }).catch(fail);
  });

  document.getElementById('chat-callback-form').addEventListener('submit', function (e) {
    e.preventDefault();
    if (!conv) return;
    api('/chat/' + conv.id + '/callback', { token: conv.token, phone: document.getElementById('chat-phone').value, consent: document.getElementById('chat-consent').checked })
      .then(function (j) { if (j.statusUrl) location.href = j.statusUrl; })
      .catch(fail);
  });

  // A reload resumes the conversation this tab started.
  try { var kept = JSON.parse(sessionStorage.getItem(storeKey) || 'null'); if (kept && kept.id && kept.token) follow(kept); } catch (e) { /* none */ }
})();
