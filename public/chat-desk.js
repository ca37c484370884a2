// The service center's chat desk, in the agent console and the portal inbox: the list of conversations (redrawn
// whenever the server announces a change), one open conversation with its live messages (each once, in number
// order), reply, take, close and "call back". Visitors' words are text: written with textContent only.
(function () {
  var root = document.getElementById('chat-desk');
  if (!root) return;
  var base = root.dataset.base;
  var csrf = root.dataset.csrf;
  var isAgent = root.dataset.agent === 'yes';
  var requestPage = root.dataset.requestPage || '';
  var $ = function (id) { return document.getElementById(id); };
  var current = null;
  var seen = {};
  var stream = null;

  function fail(e) { $('chat-error').textContent = (e && e.message) || 'Something went wrong. Try again.'; }
  function getJson(path) {
    return fetch(base + path, { headers: { accept: 'application/json' }, credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error('Could not load (' + r.status + ').');
      return r.json();
    });
  }
  function post(path, body) {
    $('chat-error').textContent = '';
    return fetch(base + path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf, 'x-requested-with': 'fetch' },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error((j.error && (j.error.fields && j.error.fields[0] && j.error.fields[0].message || j.error.message)) || 'Something went wrong.');
        return j;
      });
    });
  }
  function text(id, v) { $(id).textContent = v == null || v === '' ? '—' : String(v); }

  function drawList(items) {
    var list = $('chat-list');
    list.replaceChildren();
    $('chat-none').hidden = items.length > 0;
    var open = 0;
    items.forEach(function (c) {
      if (c.status === 'open') open++;
      var li = document.createElement('li');
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary';
      b.dataset.id = c.id;
      if (current && current.id === c.id) b.setAttribute('aria-current', 'true');
      var who = (isAgent ? c.subscriberName + ' · ' : '') + (c.visitorName || 'Visitor') + (c.status === 'closed' ? ' (closed)' : c.agentId ? '' : ' (waiting)');
      b.textContent = who + (c.lastBody ? ' — ' + c.lastBody.slice(0, 80) : '');
      b.addEventListener('click', function () { openConversation(c.id); });
      li.append(b);
      list.append(li);
    });
    text('chat-count', open ? '(' + open + ' open)' : '');
  }
  function refreshList() { return getJson('/list').then(function (j) { drawList(j.conversations); }).catch(function () { /* next change redraws */ }); }

  function add(m) {
    if (seen[m.seq]) return;
    seen[m.seq] = true;
    var list = $('chat-messages');
    var li = document.createElement('li');
    li.className = m.author;
    li.dataset.seq = String(m.seq);
    if (m.author !== 'system') {
      var who = document.createElement('span');
      who.className = 'chat-who';
      who.textContent = m.author === 'visitor' ? (m.authorName || 'Visitor') : (m.authorName || 'You');
      li.append(who);
    }
    li.append(document.createTextNode(m.body));
    var after = null;
    list.querySelectorAll('li').forEach(function (x) { if (Number(x.dataset.seq) > m.seq && !after) after = x; });
    list.insertBefore(li, after);
    list.scrollTop = list.scrollHeight;
    if (m.kind === 'closed' || m.kind === 'callback' || m.kind === 'joined') {
      getJson('/' + current.id).then(function (j) { drawConversation(j.conversation); }).catch(function () {});
    }
  }

  function drawConversation(c) {
    current = c;
    $('chat-pane').hidden = false;
    text('chat-title', c.visitorName || 'Visitor');
    text('chat-page', c.pageUrl);
    text('chat-referrer', c.referrer);
    text('chat-phone-known', c.visitorPhone);
    var req = $('chat-request');
    req.replaceChildren();
    var linked = c.callbackRequestId || c.requestId;
    if (linked && requestPage) {
      var a = document.createElement('a'); a.href = requestPage + linked; a.textContent = linked; req.append(a);
    } else req.textContent = linked || '—';
    var open = c.status === 'open';
    $('chat-reply').hidden = !open;
    $('chat-close').hidden = !open;
    $('chat-take').hidden = !(isAgent && open && c.waiting);
    $('chat-callback-open').hidden = !!c.callbackRequestId;
    // Offered only where the server takes web calls; the visitor's chat shows Call now only where its browser can.
    $('chat-webcall').hidden = !(c.webcalls && open);
    $('chat-callback-phone').value = c.visitorPhone || '';
  }

  function openConversation(id) {
    if (stream) { stream.close(); stream = null; }
    seen = {};
    $('chat-messages').replaceChildren();
    $('chat-callback-form').hidden = true;
    $('chat-error').textContent = '';
    getJson('/' + id).then(function (j) {
      drawConversation(j.conversation);
      j.messages.forEach(add);
      var last = j.messages.length ? j.messages[j.messages.length - 1].seq : 0;
      stream = new EventSource(base + '/' + id + '/events?after=' + last);
      stream.addEventListener('message', function (e) { add(JSON.parse(e.data)); });
      document.querySelectorAll('#chat-list button').forEach(function (b) { b.setAttribute('aria-current', String(b.dataset.id === id)); });
    }).catch(fail);
  }

  $('chat-reply').addEventListener('submit', function (e) {
    e.preventDefault();
    var box = $('chat-reply-body');
    if (!current || !box.value.trim()) return;
    $('chat-send').disabled = true;
    post('/' + current.id + '/messages', { body: box.value })
      .then(function (j) { box.value = ''; add(j.message); })
      .catch(fail).then(function () { $('chat-send').disabled = false; box.focus(); });
  });
  $('chat-webcall').addEventListener('click', function () {
    if (current) post('/' + current.id + '/webcall').then(function (j) { add(j.message); }).catch(fail);
  });
  $('chat-take').addEventListener('click', function () { if (current) post('/' + current.id + '/take').then(refreshList).catch(fail); });
  $('chat-close').addEventListener('click', function () { if (current) post('/' + current.id + '/close').then(refreshList).catch(fail); });
  $('chat-callback-open').addEventListener('click', function () { $('chat-callback-form').hidden = false; $('chat-callback-phone').focus(); });
  $('chat-callback-form').addEventListener('submit', function (e) {
    e.preventDefault();
    if (!current) return;
    $('chat-callback').disabled = true;
    post('/' + current.id + '/callback', { phone: $('chat-callback-phone').value })
      .then(function () { $('chat-callback-form').hidden = true; })
      .catch(fail).then(function () { $('chat-callback').disabled = false; });
  });

  refreshList();
  if (window.EventSource) {
    var changes = new EventSource(base + '/events');
    changes.addEventListener('changed', function () { refreshList(); });
  }
})();
