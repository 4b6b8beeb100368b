// Browser wallet (EIP-1193, window.ethereum) on the Contribute page: link the wallet to the account
// once (EIP-191 challenge, in wallet_link.js), then sign each image's EIP-712 Contribution in the
// wallet. The server hands out the typed data, checks the signature and relays it: the wallet never
// pays gas. Without a wallet in the browser the choice stays hidden, the page says how to use one
// (#wallet-absent), and the server's custodial wallet signs.
(function () {
  "use strict";

  var wallet = window.SeBRUS && window.SeBRUS.wallet;
  var choice = document.getElementById("signer-choice");
  if (!wallet || !choice) return;
  var browserOption = document.getElementById("signer-browser");
  var status = document.getElementById("wallet-status");
  choice.hidden = false;
  var absent = document.getElementById("wallet-absent");
  if (absent) absent.hidden = true;

  function say(text) { status.textContent = text; }

  function connect() {
    return wallet.connect(say).then(function (address) {
      say("Signing with your browser wallet " + address + ".");
      return address;
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
      .then(function (linked) { address = linked; return wallet.checkChain(parseInt(option.dataset.chainId, 10)); })
      .then(function () { return sha256Hex(file); })
      .then(function (hash) {
        return wallet.api("POST", "/api/dataset/" + encodeURIComponent(option.value) + "/contribution-typed-data",
          { sha256: hash, label: label, contributor: address });
      })
      .then(function (body) {
        var typed = body.typed_data;
        return wallet.request("eth_signTypedData_v4", [address, JSON.stringify(typed)])
          .then(function (signature) {
            return "&signature=" + encodeURIComponent(signature) + "&deadline=" + encodeURIComponent(typed.message.deadline) +
              "&contributor=" + encodeURIComponent(address);
          });
      });
  }

  browserOption.addEventListener("change", function () {
    if (browserOption.checked) connect().catch(function (error) { say("Could not use your wallet: " + error.message); });
  });
  window.SeBRUS.signContribution = signContribution;
})();
