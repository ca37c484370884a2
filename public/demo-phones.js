// The demo phone page: keeps the list of simulated calls fresh (the page works without this file; reload it).
(function () {
  'use strict';
  var box = document.getElementById('phones');
  if (!box) return;
  var busy = false;
  var refresh = function () {
    // Never swap the list under a pointer or a focused button: a click would land on another call.
    if (busy || box.contains(document.activeElement) && document.activeElement !== document.body) return schedule();
    busy = true;
    fetch('/demo/phones?part=list', { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { box.innerHTML = html; }, function () {})
      .then(function () { busy = false; schedule(); });
  };
  var timer = null;
  var schedule = function () { clearTimeout(timer); timer = setTimeout(refresh, 1000); };
  schedule();
})();
