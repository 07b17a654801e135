// Passkey ceremonies for the hosted pages: fetch options from Visage, ask
// the browser's authenticator, post the signed answer back with the form.
(function () {
  'use strict';

  function toBuf(s) {
    var b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) { b64 += '='; }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function toB64(buf) {
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function say(form, key) {
    var el = document.getElementById('passkey-status');
    if (!el) { return; }
    el.textContent = form.dataset[key] || form.dataset.msgFailed;
    el.hidden = false;
  }

  function fetchOptions(form) {
    return fetch(form.dataset.options, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': form.elements.csrf.value },
      body: JSON.stringify({ tx: form.elements.tx ? form.elements.tx.value : '' })
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { var e = new Error(j.error_description || form.dataset.msgFailed); e.server = true; throw e; }
        return j;
      });
    });
  }

  function submitWith(form, ceremony, credential) {
    form.elements.ceremony.value = ceremony;
    form.elements.credential.value = JSON.stringify(credential);
    form.submit();
  }

  function failed(form, err) {
    if (err && err.name === 'AbortError') { return; }
    if (err && err.server) {
      var el = document.getElementById('passkey-status');
      if (el) { el.textContent = err.message; el.hidden = false; }
      return;
    }
    say(form, err && err.name === 'NotAllowedError' ? 'msgCancelled' : 'msgFailed');
  }

  function signIn(form, mediation, signal) {
    return fetchOptions(form).then(function (j) {
      var pk = j.options.publicKey;
      pk.challenge = toBuf(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
      var req = { publicKey: pk };
      if (mediation) { req.mediation = mediation; req.signal = signal; }
      return navigator.credentials.get(req).then(function (cred) {
        if (!cred) { return; }
        submitWith(form, j.ceremony, {
          id: cred.id,
          rawId: toB64(cred.rawId),
          type: cred.type,
          response: {
            authenticatorData: toB64(cred.response.authenticatorData),
            clientDataJSON: toB64(cred.response.clientDataJSON),
            signature: toB64(cred.response.signature),
            userHandle: cred.response.userHandle ? toB64(cred.response.userHandle) : null
          },
          extensions: {}
        });
      });
    });
  }

  function register(form) {
    return fetchOptions(form).then(function (j) {
      var pk = j.options.publicKey;
      pk.challenge = toBuf(pk.challenge);
      pk.user.id = toBuf(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
      return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
        var resp = cred.response;
        submitWith(form, j.ceremony, {
          id: cred.id,
          rawId: toB64(cred.rawId),
          type: cred.type,
          response: {
            attestationObject: toB64(resp.attestationObject),
            clientDataJSON: toB64(resp.clientDataJSON),
            transports: resp.getTransports ? resp.getTransports() : []
          },
          extensions: {}
        });
      });
    });
  }

  var form = document.querySelector('form[data-passkey]');
  if (!form) { return; }
  if (!window.PublicKeyCredential || !navigator.credentials) {
    say(form, 'msgUnsupported');
    return;
  }

  if (form.dataset.passkey === 'register') {
    document.getElementById('passkey-create').addEventListener('click', function () {
      register(form).catch(function (e) { failed(form, e); });
    });
    return;
  }

  // Sign-in: passkey autofill on the email field when the browser offers
  // it (conditional UI), and the button for an explicit prompt.
  var pending = null;
  if (PublicKeyCredential.isConditionalMediationAvailable && document.querySelector('input[autocomplete~="webauthn"]')) {
    PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (!ok) { return; }
      pending = new AbortController();
      // Autofill failing (no passkey here, prompt dismissed) is not an error to show.
      signIn(form, 'conditional', pending.signal).catch(function () {});
    });
  }
  document.getElementById('passkey-signin').addEventListener('click', function () {
    if (pending) { pending.abort(); pending = null; }
    signIn(form, null, null).catch(function (e) { failed(form, e); });
  });
})();
