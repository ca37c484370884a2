// Hosted call-back form: "Call now" from the browser. The server renders the section (hidden) only while web calls
// are offered; it is shown here only where the browser has WebRTC and a microphone API. The call itself is the
// widget's call chunk (content-hashed, served by Beckon, imported on press), the same panel the widget draws.
(function () {
  var box = document.getElementById('webcall');
  if (!box) return;
  if (typeof window.RTCPeerConnection !== 'function' || !navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') return;
  var start = document.getElementById('webcall-start');
  var panel = document.getElementById('webcall-panel');
  var error = document.getElementById('webcall-error');
  var or = document.getElementById('webcall-or');
  var form = document.querySelector('form[method="post"]');
  var field = function (name) { return form && form.elements.namedItem(name); };
  var value = function (name) { var f = field(name); return f && f.value ? f.value.trim() || undefined : undefined; };
  box.hidden = false;

  // The form token is single use: the call spends the page's, the form gets a fresh one for its own request.
  function freshToken() {
    var token = field('formToken');
    if (!token) return;
    fetch('/api/v1/form-token?subscriber=' + encodeURIComponent(box.dataset.slug), { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j && j.token) token.value = j.token; })
      .catch(function () { /* the form's own post will say so */ });
  }

  function show(calling) {
    start.hidden = calling;
    or.hidden = calling;
    if (form) form.hidden = calling;
  }

  start.addEventListener('click', function () {
    error.textContent = '';
    start.disabled = true;
    import(box.dataset.chunk).then(function (chunk) {
      start.disabled = false;
      var request = {
        subscriber: box.dataset.slug, department: value('department'), visitorId: chunk.visitorId(),
        name: value('name'), message: value('message'), pageUrl: value('pageUrl') || location.href,
        website: (field('website') || {}).value || '', formToken: value('formToken'), source: 'widget',
      };
      show(true);
      chunk.runCall({
        el: panel, base: location.origin, lang: document.documentElement.lang || 'en', name: box.dataset.name, request: request,
        onDone: function () { show(false); start.focus(); },
      });
      freshToken();
    }, function () {
      start.disabled = false;
      error.textContent = 'We could not reach the call service. Please try again.';
    });
  });
})();
