// demo Grafana stand-in: checks, from the browser, that everything this page needs came through
// grafana-proxy. Every check ends in data-status ok | failed | unavailable, with a short text.
(function () {
  'use strict';

  function set(id, status, text) {
    var li = document.getElementById(id);
    li.dataset.status = status;
    li.querySelector('.result').textContent = text;
  }

  set('check-js', 'ok', 'ran');

  var css = getComputedStyle(document.documentElement).getPropertyValue('--standin-css').trim();
  set('check-css', css === 'loaded' ? 'ok' : 'failed', css === 'loaded' ? 'applied' : 'not applied');

  var img = document.getElementById('standin-logo');
  function imageDone() {
    set('check-img', img.naturalWidth > 0 ? 'ok' : 'failed', img.naturalWidth > 0 ? 'loaded' : 'failed to load');
  }
  if (img.complete) { imageDone(); } else { img.addEventListener('load', imageDone); img.addEventListener('error', imageDone); }

  fetch('api/user', { headers: { Accept: 'application/json' } })
    .then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    })
    .then(function (r) {
      if (r.status === 200) {
        set('check-api', 'ok', r.status + ', login ' + r.body.login + ', email ' + r.body.email);
      } else {
        set('check-api', 'failed', r.status + ' ' + (r.body.message || ''));
      }
    })
    .catch(function (e) { set('check-api', 'failed', String(e)); });

  fetch('api/ds/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ queries: [{ refId: 'A' }] })
  })
    .then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    })
    .then(function (r) {
      if (r.status !== 200) {
        set('check-query', 'failed', r.status + ' ' + (r.body.message || ''));
        return;
      }
      var values = r.body.results.A.values;
      draw(values);
      set('check-query', 'ok', r.status + ', ' + values.length + ' points');
    })
    .catch(function (e) { set('check-query', 'failed', String(e)); });

  function draw(values) {
    var svg = document.getElementById('chart');
    var w = 460, h = 120, max = Math.max.apply(null, values) * 1.15;
    var pts = values.map(function (v, i) {
      return (i * w / (values.length - 1)).toFixed(1) + ',' + (h - v * h / max).toFixed(1);
    });
    svg.innerHTML = '<polygon class="area" points="0,' + h + ' ' + pts.join(' ') + ' ' + w + ',' + h + '"></polygon>'
      + '<polyline points="' + pts.join(' ') + '"></polyline>';
  }

  // Grafana Live: a WebSocket to api/live/ws on the page's own origin, relayed by grafana-proxy.
  var live = new URL('api/live/ws', document.baseURI);
  live.protocol = live.protocol === 'https:' ? 'wss:' : 'ws:';
  var hello = null, done = false;
  var ws;
  try {
    ws = new WebSocket(live.href);
  } catch (e) {
    set('check-live', 'unavailable', 'not available: ' + e);
    return;
  }
  ws.onmessage = function (ev) {
    var m = JSON.parse(ev.data);
    if (m.type === 'hello') {
      hello = m;
      ws.send('ping');
    } else if (m.type === 'echo' && hello && !done) {
      done = true;
      set('check-live', 'ok', 'connected as ' + hello.login + ' (' + hello.role + '), echo received');
    }
  };
  ws.onclose = function (ev) {
    if (!done) {
      done = true;
      set('check-live', 'unavailable', 'not available: the WebSocket could not be opened through the proxy (close code '
        + ev.code + (ev.reason ? ', ' + ev.reason : '') + ')');
    }
  };
})();
