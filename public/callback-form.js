// Hosted call-back form: the browser's UTC offset, so a typed time is read in the visitor's zone; while the
// business is closed, the offered opening times are written in the visitor's zone, in words.
(function () {
  var tz = document.getElementById('tzOffset');
  if (tz) tz.value = String(new Date().getTimezoneOffset());
  var select = document.querySelector('select#scheduledAt');
  if (!select) return;
  var lang = navigator.language || 'en-US';
  var clock = new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' });
  var date = new Intl.DateTimeFormat(lang, { weekday: 'short', month: 'short', day: 'numeric' });
  var days = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }) : null;
  var midnight = function (x) { return new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime(); };
  Array.prototype.forEach.call(select.options, function (o) {
    if (!o.value) return;
    var d = new Date(o.value);
    if (isNaN(d.getTime())) return;
    var diff = Math.round((midnight(d) - midnight(new Date())) / 86400000);
    var day = Math.abs(diff) <= 1 && days ? days.format(diff, 'day') : date.format(d);
    o.textContent = day.charAt(0).toUpperCase() + day.slice(1) + ' at ' + clock.format(d);
  });
})();
