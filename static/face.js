// The face step: show the camera, ask Visage for a liveness challenge,
// follow it step by step as the server reveals it (committing to each frame
// as it is captured), send the frames, follow the answer.
(function () {
  'use strict';
  var root = document.getElementById('face-step');
  if (!root) { return; }
  var video = document.getElementById('camera');
  var status = document.getElementById('face-status');
  var button = document.getElementById('face-start');

  function say(text, cls) {
    status.textContent = text;
    status.className = cls || 'notice';
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': root.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error(j.error_description || root.dataset.msgFailed); }
        return j;
      });
    });
  }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(root.dataset.msgNocamera, 'error');
    return;
  }
  // Live guidance ("move closer", "too dark", "one face only") about once a
  // second until the check starts.
  var busy = false;
  var guide = null;
  function preview() {
    if (busy || !video.videoWidth) { return; }
    var canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    post(root.dataset.preview, { jpeg: canvas.toDataURL('image/jpeg', 0.7).split(',')[1] })
      .then(function (r) {
        if (busy) { return; }
        say(r.message, r.ok ? 'ok' : 'notice');
        status.dataset.hint = r.hint;
      })
      .catch(function () {});
  }

  navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' }, audio: false })
    .then(function (stream) {
      video.srcObject = stream;
      button.disabled = false;
      guide = setInterval(preview, 1000);
    })
    .catch(function () { say(root.dataset.msgNocamera, 'error'); });

  // Follow the server's plan: per frame, the instruction, the wait and the
  // colour shown over the page (its light on the face is checked).
  var light = document.getElementById('face-light');
  function paint(colour) {
    if (!light) { return; }
    light.style.backgroundColor = colour || '';
    light.className = colour ? 'on' : '';
  }

  // SHA-256 (hex) of a base64 frame's bytes: the page commits to each
  // frame as it captures it (the server times the commitment).
  function digest(b64) {
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return crypto.subtle.digest('SHA-256', bytes).then(function (h) {
      return Array.prototype.map.call(new Uint8Array(h), function (b) {
        return ('0' + b.toString(16)).slice(-2);
      }).join('');
    });
  }

  // The server reveals one step at a time: show it, wait, capture, commit
  // to the frame; the reply is the next step or the end.
  function capture(ch) {
    var canvas = document.createElement('canvas');
    canvas.width = video.videoWidth || 640;
    canvas.height = video.videoHeight || 480;
    var ctx = canvas.getContext('2d');
    var frames = [];
    return new Promise(function (resolve, reject) {
      function show(step) {
        say(step.prompt);
        paint(step.colour);
        setTimeout(function () {
          ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
          var jpeg = canvas.toDataURL('image/jpeg', 0.85).split(',')[1];
          frames.push({ t: Date.now(), jpeg: jpeg });
          digest(jpeg)
            .then(function (h) {
              return post(root.dataset.step, { nonce: ch.nonce, index: step.index, sha256: h });
            })
            .then(function (r) {
              if (r.done) { paint(null); resolve(frames); } else { show(r.step); }
            })
            .catch(function (e) { paint(null); reject(e); });
        }, step.wait_ms);
      }
      show(ch.step);
    });
  }

  button.addEventListener('click', function () {
    busy = true;
    if (guide) { clearInterval(guide); guide = null; }
    button.disabled = true;
    post(root.dataset.start, { tx: root.dataset.tx })
      .then(function (ch) {
        return capture(ch).then(function (frames) {
          say(root.dataset.msgChecking);
          return post(root.dataset.verify, { tx: root.dataset.tx, nonce: ch.nonce, frames: frames });
        });
      })
      .then(function (res) { window.location.assign(res.redirect); })
      .catch(function (e) {
        say(e.message || root.dataset.msgFailed, 'error');
        button.disabled = false;
        busy = false;
      });
  });
})();
