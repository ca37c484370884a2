// Hosted status page: follows the status stream, cancel and opt-out (served from /static: no inline script).
(function () {
  // Reload only when something changed; the stream sends the current view first, then one per change.
  var card = document.getElementById('status-card');
  if (!window.EventSource) return;
  var shown = card.dataset.sig;
  var es = new EventSource('/api/v1/callbacks/' + card.dataset.id + '/events?token=' + encodeURIComponent(card.dataset.token));
  function onView(e) {
    var v = JSON.parse(e.data);
    var now = v.status + '|' + v.attempts.map(function (a) { return (a.outcome || '') + ','; }).join('');
    if (now !== shown) { es.close(); location.reload(); }
    if (['completed', 'failed', 'expired', 'canceled'].indexOf(v.status) >= 0) es.close();
  }
  function act(path, confirmText) {
    if (!window.confirm(confirmText)) return;
    fetch('/api/v1/callbacks/' + card.dataset.id + '/' + path + '?token=' + encodeURIComponent(card.dataset.token), { method: 'POST' })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error && j.error.message || 'Something went wrong.'); location.reload(); }); })
      .catch(function (e) { document.getElementById('action-error').textContent = e.message; });
  }
  var cancel = document.getElementById('cancel');
  if (cancel) cancel.addEventListener('click', function () { act('cancel', 'Cancel this call-back?'); });
  document.getElementById('opt-out').addEventListener('click', function () { act('opt-out', 'Stop this business calling this number? It will not call it again.'); });
  es.addEventListener('status', onView);
  es.addEventListener('attempt', onView);
})();
