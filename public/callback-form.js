// Hosted call-back form: the browser's UTC offset, so a scheduled time is read in the visitor's zone.
document.getElementById('tzOffset').value = String(new Date().getTimezoneOffset());
