// The browser wallet (EIP-1193, window.ethereum), shared by the Contribute and Review pages: connect,
// link the address to the account once (EIP-191 challenge), check the wallet's chain, offer to add the
// server's own chain (its /rpc endpoint) to the wallet, and call the API with the session's CSRF token. Pages use it as window.SeBRUS.wallet; without a wallet in the
// browser it is not defined, and the pages keep the server's custodial wallet.
(function () {
  "use strict";

  var ethereum = window.ethereum;
  window.SeBRUS = window.SeBRUS || {};
  if (!ethereum || typeof ethereum.request !== "function") return;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var account = null; // the linked address, once connected

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

  function walletError(error) {
    if (error && error.code === 4001) return new Error("you declined the request in your wallet.");
    return new Error("your wallet refused: " + ((error && error.message) || error));
  }

  // A wallet request whose refusal reads as a sentence.
  function request(method, params) {
    return ethereum.request({ method: method, params: params || [] }).catch(function (error) { throw walletError(error); });
  }

  function utf8Hex(text) {
    var bytes = new TextEncoder().encode(text);
    return "0x" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function link(address, say) {
    return api("GET", "/api/wallets").then(function (body) {
      var linked = body.wallets.some(function (w) { return w.address.toLowerCase() === address.toLowerCase(); });
      if (linked) return address;
      say("Linking " + address + " to your account: sign the message in your wallet…");
      return api("POST", "/api/wallets/challenge", { address: address }).then(function (issued) {
        var challenge = issued.challenge;
        return request("personal_sign", [utf8Hex(challenge.message), address])
          .then(function (signature) {
            return api("POST", "/api/wallets/link", { nonce: challenge.nonce, signature: signature });
          })
          .then(function () { return address; });
      });
    });
  }

  // Resolves to the wallet's first account, linked to the signed-in user; `say` reports progress.
  function connect(say) {
    if (account) return Promise.resolve(account);
    say("Connecting to your wallet…");
    return request("eth_requestAccounts")
      .then(function (accounts) {
        if (!accounts || !accounts.length) throw new Error("your wallet shared no account.");
        return link(accounts[0], say);
      })
      .then(function (address) {
        account = address;
        return address;
      });
  }

  // Rejects unless the wallet is on chain `wanted` (a number), the chain the server's contracts live on.
  function checkChain(wanted) {
    if (!wanted) return Promise.reject(new Error("this dataset is not on a chain your wallet can use."));
    return request("eth_chainId").then(function (hex) {
      var current = parseInt(hex, 16);
      if (current !== wanted) {
        throw new Error("your wallet is on chain " + current + ", but this dataset lives on chain " + wanted +
          "; switch networks in your wallet.");
      }
    });
  }

  // "Add this server's network": the embedded chain, served at this origin's /rpc (wallet_addEthereumChain).
  function addNetwork(button) {
    var status = button.parentNode.querySelector("[data-add-network-status]");
    var chainId = parseInt(button.getAttribute("data-chain-id"), 10);
    status.textContent = "Asking your wallet to add the network…";
    request("wallet_addEthereumChain", [{
      chainId: "0x" + chainId.toString(16),
      chainName: button.getAttribute("data-chain-name"),
      rpcUrls: [window.location.origin + "/rpc"],
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }
    }]).then(function () {
      status.textContent = "Your wallet now knows chain " + chainId + " at " + window.location.origin + "/rpc.";
    }).catch(function (error) {
      status.textContent = "Could not add the network: " + error.message;
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-add-network]"), function (button) {
    button.addEventListener("click", function () { addNetwork(button); });
  });

  window.SeBRUS.wallet = { api: api, connect: connect, checkChain: checkChain, request: request };
})();
