// Sign-up page (served from /static: the CSP allows no inline script).
(function () {
  // Pre-select the browser's time zone on a fresh form; the server still validates whatever is sent.
  var tz = document.getElementById('timezone');
  try { var mine = Intl.DateTimeFormat().resolvedOptions().timeZone; if (tz.value === 'UTC' && mine) tz.value = mine; } catch (e) {}
})();
