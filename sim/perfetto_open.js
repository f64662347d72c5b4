// perfetto_open.js - the "Open in Perfetto" buttons of a run's index.html.
//
// Perfetto's documented way to open a trace from another page
// (https://perfetto.dev/docs/visualization/deep-linking-to-perfetto-ui):
// open https://ui.perfetto.dev in a new window, send it 'PING' until it
// answers 'PONG', then post {perfetto: {buffer, title, url}} with the
// trace's bytes (JSON, or gzip: Perfetto opens both). The window is opened
// in the click itself, before the fetch, so a popup blocker lets it be.
// A page opened as a file:// cannot fetch its own traces; the button then
// says how to serve the folder. gilsim builds this file into its binary
// and writes it inline into each index.html.
(function () {
  'use strict';
  var ORIGIN = 'https://ui.perfetto.dev';

  function say(button, text) {
    var note = button.nextElementSibling;
    if (note && note.classList.contains('perfetto-note')) {
      note.textContent = text;
    }
  }

  function open(button) {
    var url = button.getAttribute('data-trace');
    var title = button.getAttribute('data-title') || url;
    if (location.protocol === 'file:') {
      say(button, 'A page opened from a file cannot hand its traces to ' +
          'Perfetto. Serve this folder, e.g. python3 -m http.server ' +
          '--directory THIS_FOLDER 8000, and open http://localhost:8000/; ' +
          'or drop the file on ' + ORIGIN + '.');
      return;
    }
    var win = window.open(ORIGIN);
    if (!win) {
      say(button, 'The browser blocked the Perfetto window; allow pop-ups ' +
          'for this page and click again.');
      return;
    }
    say(button, 'Loading ' + url + ' ...');
    fetch(url).then(function (resp) {
      if (!resp.ok) {
        throw new Error(url + ': HTTP ' + resp.status);
      }
      return resp.arrayBuffer();
    }).then(function (buffer) {
      var timer = setInterval(function () {
        win.postMessage('PING', ORIGIN);
      }, 50);
      function onMessage(evt) {
        if (evt.source !== win || evt.data !== 'PONG') {
          return;
        }
        clearInterval(timer);
        window.removeEventListener('message', onMessage);
        win.postMessage({perfetto: {buffer: buffer, title: title,
                                    url: location.href}}, ORIGIN);
        say(button, 'Sent to Perfetto.');
      }
      window.addEventListener('message', onMessage);
    }).catch(function (err) {
      say(button, 'Could not load the trace: ' + err.message);
    });
  }

  document.querySelectorAll('button.perfetto').forEach(function (button) {
    button.addEventListener('click', function () { open(button); });
  });
}());
