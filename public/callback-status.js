// Hosted status page: follows the status stream and redraws the page in place (stage, steps, calls), writes every
// time in the visitor's own time zone in words ("today at 5:32 PM"), cancel and opt-out. Served from /static.
(function () {
  var card = document.getElementById('status-card');
  var words = JSON.parse(card.dataset.words || '{}');
  var FINAL = ['completed', 'failed', 'expired', 'canceled'];
  var STEPS = ['queued', 'finding', 'calling', 'connecting', 'connected', 'completed'];
  var lang = navigator.language || 'en-US';
  var clock = new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' });
  var date = new Intl.DateTimeFormat(lang, { weekday: 'short', month: 'short', day: 'numeric' });
  var days = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }) : null;

  // "today at 5:32 PM", "tomorrow at 9:00 AM", "Fri, Dec 4 at 5:32 PM": the visitor's zone, from the ISO instant.
  function inWords(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    var midnight = function (x) { return new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime(); };
    var diff = Math.round((midnight(d) - midnight(new Date())) / 86400000);
    var day = Math.abs(diff) <= 1 && days ? days.format(diff, 'day') : date.format(d);
    return day + ' at ' + clock.format(d);
  }
  function timeEl(iso) {
    var t = document.createElement('time');
    if (iso) { t.dateTime = iso; t.textContent = inWords(iso); t.title = new Date(iso).toString(); }
    return t;
  }
  function localTimes() {
    document.querySelectorAll('#status-card time[datetime]').forEach(function (t) {
      var iso = t.getAttribute('datetime');
      if (iso) { t.textContent = inWords(iso); t.title = new Date(iso).toString(); }
    });
  }

  function draw(v) {
    var stage = v.stage || v.status;
    // The hold is also read from the stored call; the event's phase only makes it show at once.
    if (v.phase === 'on_hold' && stage === 'connected') stage = 'on_hold';
    card.dataset.stage = stage;
    document.getElementById('status').textContent = (words.stage && words.stage[stage]) || stage;
    document.getElementById('status-text').textContent = (words.text && words.text[stage]) || '';
    var at = STEPS.indexOf(stage === 'scheduled' ? 'queued' : stage === 'on_hold' ? 'connected' : stage);
    document.querySelectorAll('#steps li').forEach(function (li) {
      var i = STEPS.indexOf(li.dataset.step);
      li.className = at < 0 ? '' : i < at ? 'done' : i === at ? 'current' : '';
      if (li.dataset.step === 'finding' && stage === 'finding') li.hidden = false;
    });
    var sched = document.getElementById('scheduled');
    sched.hidden = !v.scheduledAt;
    var st = document.getElementById('scheduled-at');
    st.setAttribute('datetime', v.scheduledAt || '');
    st.textContent = inWords(v.scheduledAt);
    var body = document.querySelector('#attempts tbody');
    body.replaceChildren();
    (v.attempts || []).forEach(function (a) {
      var tr = document.createElement('tr');
      var n = document.createElement('td'); n.textContent = String(a.n);
      var o = document.createElement('td'); o.textContent = a.outcome ? (words.outcome && words.outcome[a.outcome]) || a.outcome : 'In progress';
      tr.append(n, o);
      [a.startedAt, a.answeredAt, a.endedAt].forEach(function (iso) { var td = document.createElement('td'); td.append(timeEl(iso)); tr.append(td); });
      body.append(tr);
    });
    if (!body.children.length) {
      var none = document.createElement('tr'); var td = document.createElement('td');
      td.colSpan = 5; td.className = 'muted'; td.textContent = 'No call yet.'; none.append(td); body.append(none);
    }
    var cancel = document.getElementById('cancel');
    cancel.hidden = !(stage === 'queued' || stage === 'scheduled');
  }

  function act(path, confirmText) {
    if (!window.confirm(confirmText)) return;
    fetch('/api/v1/callbacks/' + card.dataset.id + '/' + path + '?token=' + encodeURIComponent(card.dataset.token), { method: 'POST' })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error && j.error.message || 'Something went wrong.'); if (j && j.stage && j.attempts) draw(j); else location.reload(); }); })
      .catch(function (e) { document.getElementById('action-error').textContent = e.message; });
  }
  document.getElementById('cancel').addEventListener('click', function () { act('cancel', 'Cancel this call-back?'); });
  document.getElementById('opt-out').addEventListener('click', function () { act('opt-out', 'Stop this business calling this number? It will not call it again.'); });

  localTimes();
  if (!window.EventSource || FINAL.indexOf(card.dataset.stage) >= 0) return;
  // The stream sends the current view first, then one per change; each is read back from the database.
  var es = new EventSource('/api/v1/callbacks/' + card.dataset.id + '/events?token=' + encodeURIComponent(card.dataset.token));
  function onView(e) {
    var v = JSON.parse(e.data);
    draw(v);
    if (FINAL.indexOf(v.status) >= 0) es.close();
  }
  es.addEventListener('status', onView);
  es.addEventListener('attempt', onView);
})();
