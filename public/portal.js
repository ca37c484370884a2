// Subscriber portal enhancements. Every page works without this file; it adds copy buttons, the live skin
// preview and the verification call's progress.
(function () {
  'use strict';
  document.querySelectorAll('button.copy').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var src = document.getElementById(btn.getAttribute('data-copy'));
      var note = btn.parentNode.querySelector('.copied');
      var said = function (t) { if (note) note.textContent = t; };
      var fallback = function () { src.focus(); src.select(); try { document.execCommand('copy'); said('Copied.'); } catch (e) { said('Press Ctrl+C to copy.'); } };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(src.value).then(function () { said('Copied.'); }, fallback);
      else fallback();
    });
  });

  // The preview is the real widget in a frame: reload it with the form's current values (the server keeps only
  // the values that pass validation), a moment after the owner stops typing.
  var form = document.getElementById('skin-form');
  var frame = document.getElementById('preview-frame');
  if (form && frame) {
    var timer = null;
    var update = function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = new URLSearchParams();
        ['primaryColor', 'textColor', 'buttonText', 'position', 'logoUrl', 'language'].forEach(function (k) { if (form[k]) q.set(k, form[k].value); });
        var src = '/portal/widget/preview?' + q.toString();
        if (frame.getAttribute('src') !== src) frame.setAttribute('src', src);
      }, 250);
    };
    form.addEventListener('input', update);
    form.addEventListener('change', update);
  }

  var card = document.getElementById('verify-card');
  var status = document.getElementById('call-status');
  if (card && status) {
    var poll = function () {
      fetch('/portal/verify/' + card.getAttribute('data-id'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          status.textContent = j.callStatus;
          if (j.callStatus === 'queued' || j.callStatus === 'calling') setTimeout(poll, 1500);
        }, function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1000);
  }
})();
