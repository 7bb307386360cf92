// A score clicked in the email opens the survey with that score selected; the page records it on
// the person's first action: a press, tap or key anywhere, or the visible button. Never on load:
// link scanners that render pages in a browser (Safe Links "detonation" and the like) run this
// script too, and a score recorded for them would lock the real customer out. Only events the
// browser marks as trusted (isTrusted) count, so a script dispatching fake events records nothing.
(function () {
  var form = document.querySelector('form[data-one-click]');
  if (!form) return;
  // The score's own group: a press there is the person choosing a score, recorded on the click
  // that follows so the score they pick, not the one the link chose, is sent.
  var scoreGroup = form.querySelector('fieldset');
  var sent = false;
  // A person has pressed, tapped, typed or clicked. A submit without that is a script's doing
  // (requestSubmit or button.click() fire a submit event the browser marks as trusted).
  var touched = false;

  function withMarker() {
    var marker = document.createElement('input');
    marker.type = 'hidden';
    marker.name = '_oneclick';
    marker.value = '1';
    form.appendChild(marker);
  }

  // After the event's default action, so an arrow key or a click on another score is taken into account.
  function recordSoon(event) {
    if (!event.isTrusted || sent) return;
    touched = true;
    setTimeout(function () {
      if (sent) return;
      sent = true;
      withMarker();
      form.submit();
    }, 0);
  }

  function onPress(event) {
    if (!event.isTrusted) return;
    touched = true;
    if (scoreGroup && scoreGroup.contains(event.target)) return;
    recordSoon(event);
  }

  document.addEventListener('pointerdown', onPress, true);
  document.addEventListener('touchstart', onPress, { capture: true, passive: true });
  document.addEventListener('keydown', recordSoon, true);
  document.addEventListener('click', recordSoon, true);
  form.addEventListener('submit', function (event) {
    if (sent || !event.isTrusted || !touched) {
      event.preventDefault();
      return;
    }
    // The button itself: the browser posts the form, with the marker so only the score is recorded.
    sent = true;
    withMarker();
  });
})();
