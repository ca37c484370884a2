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

  var form = document.getElementById('skin-form');
  if (form) {
    var preview = document.getElementById('preview');
    var text = document.getElementById('preview-text');
    var logo = document.getElementById('preview-logo');
    var update = function () {
      preview.style.background = form.primaryColor.value;
      preview.style.color = form.textColor.value;
      text.textContent = form.buttonText.value || ' ';
      preview.classList.toggle('left', form.position.value === 'bottom-left');
      var url = form.logoUrl.value.trim();
      if (/^https?:\/\//i.test(url)) { logo.src = url; logo.hidden = false; } else { logo.hidden = true; logo.removeAttribute('src'); }
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
