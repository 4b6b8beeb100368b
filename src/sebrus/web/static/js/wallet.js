// Browser wallet (EIP-1193, window.ethereum) on the Contribute page: link the wallet to the account
// once (EIP-191 challenge), then sign each image's EIP-712 Contribution in the wallet. The server
// hands out the typed data, checks the signature and relays it: the wallet never pays gas.
// Without a wallet in the browser nothing here shows, and the server's custodial wallet signs.
(function () {
  "use strict";

  var ethereum = window.ethereum;
  var choice = document.getElementById("signer-choice");
  if (!ethereum || typeof ethereum.request !== "function" || !choice) return;
  var browserOption = document.getElementById("signer-browser");
  var status = document.getElementById("wallet-status");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var account = null; // the linked address, once connected
  choice.hidden = false;

  function say(text) { status.textContent = text; }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.status || ("the server answered " + response.status));
        return data;
      });
    });
  }

  function utf8Hex(text) {
    var bytes = new TextEncoder().encode(text);
    return "0x" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function walletError(error) {
    if (error && error.code === 4001) return new Error("you declined the request in your wallet.");
    return new Error("your wallet refused: " + ((error && error.message) || error));
  }

  function link(address) {
    return api("GET", "/api/wallets").then(function (body) {
      var linked = body.wallets.some(function (w) { return w.address.toLowerCase() === address.toLowerCase(); });
      if (linked) return address;
      say("Linking " + address + " to your account: sign the message in your wallet…");
      return api("POST", "/api/wallets/challenge", { address: address }).then(function (issued) {
        var challenge = issued.challenge;
        return ethereum.request({ method: "personal_sign", params: [utf8Hex(challenge.message), address] })
          .catch(function (error) { throw walletError(error); })
          .then(function (signature) {
            return api("POST", "/api/wallets/link", { nonce: challenge.nonce, signature: signature });
          })
          .then(function () { return address; });
      });
    });
  }

  function connect() {
    if (account) return Promise.resolve(account);
    say("Connecting to your wallet…");
    return ethereum.request({ method: "eth_requestAccounts" })
      .catch(function (error) { throw walletError(error); })
      .then(function (accounts) {
        if (!accounts || !accounts.length) throw new Error("your wallet shared no account.");
        return link(accounts[0]);
      })
      .then(function (address) {
        account = address;
        say("Signing with your browser wallet " + address + ".");
        return address;
      });
  }

  function checkChain(option) {
    var wanted = parseInt(option.dataset.chainId, 10);
    if (!wanted) return Promise.reject(new Error("this dataset is not on a chain your wallet can sign for."));
    return ethereum.request({ method: "eth_chainId" }).then(function (hex) {
      var current = parseInt(hex, 16);
      if (current !== wanted) {
        throw new Error("your wallet is on chain " + current + ", but this dataset lives on chain " + wanted +
          "; switch networks in your wallet.");
      }
    });
  }

  function sha256Hex(file) {
    if (!window.crypto || !window.crypto.subtle) {
      return Promise.reject(new Error("this browser can hash files only on a secure (https) page."));
    }
    return file.arrayBuffer().then(function (buffer) { return window.crypto.subtle.digest("SHA-256", buffer); })
      .then(function (digest) {
        return Array.prototype.map.call(new Uint8Array(digest), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      });
  }

  // Called by contribute.js before each upload: resolves to extra query parameters ("" when the
  // server's wallet signs), or rejects with a message for that file's row.
  function signContribution(file, option, label) {
    if (!browserOption.checked) return Promise.resolve("");
    var address;
    return connect()
      .then(function (linked) { address = linked; return checkChain(option); })
      .then(function () { return sha256Hex(file); })
      .then(function (hash) {
        return api("POST", "/api/dataset/" + encodeURIComponent(option.value) + "/contribution-typed-data",
          { sha256: hash, label: label, contributor: address });
      })
      .then(function (body) {
        var typed = body.typed_data;
        return ethereum.request({ method: "eth_signTypedData_v4", params: [address, JSON.stringify(typed)] })
          .catch(function (error) { throw walletError(error); })
          .then(function (signature) {
            return "&signature=" + encodeURIComponent(signature) + "&deadline=" + encodeURIComponent(typed.message.deadline) +
              "&contributor=" + encodeURIComponent(address);
          });
      });
  }

  browserOption.addEventListener("change", function () {
    if (browserOption.checked) connect().catch(function (error) { say("Could not use your wallet: " + error.message); });
  });
  window.SeBRUS = window.SeBRUS || {};
  window.SeBRUS.signContribution = signContribution;
})();
