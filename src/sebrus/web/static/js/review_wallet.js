// The Review page with a browser wallet: vote, commit, reveal and claim from the reviewer's own
// wallet (eth_sendTransaction). The server prepares each transaction and refuses what would fail
// before the wallet pays gas; the wallet signs and sends it; the server confirms what it did. Without
// a wallet in the browser the choice stays hidden, the page says how to use one (#wallet-absent), and
// the forms post to the server's custodial wallet.
(function () {
  "use strict";

  var wallet = window.SeBRUS && window.SeBRUS.wallet;
  var choice = document.getElementById("voter-choice");
  if (!wallet || !choice) return;
  var browserOption = document.getElementById("voter-browser");
  var serverOption = document.getElementById("voter-server");
  var status = document.getElementById("voter-status");
  var chainId = parseInt(choice.dataset.chainId, 10);
  var REMEMBER = "sebrus.review.voteWith";
  var VERBS = { vote: "vote", commit: "commit", reveal: "reveal", claim: "claim" };
  choice.hidden = false;
  var absent = document.getElementById("wallet-absent");
  if (absent) absent.hidden = true;

  function say(text) { status.textContent = text; }

  function remembered() {
    try { return window.localStorage.getItem(REMEMBER); } catch (error) { return null; }
  }

  function remember(value) {
    try { window.localStorage.setItem(REMEMBER, value); } catch (error) { /* private mode: not kept */ }
  }

  function connect() {
    return wallet.connect(say).then(function (address) {
      say("Voting with your browser wallet " + address + ": it pays each stake and its gas.");
      return address;
    });
  }

  // The page's forms post to /review/vote, /commit, /reveal or /claim.
  function actionOf(form) {
    return (form.getAttribute("action") || "").replace("/review/", "");
  }

  // Reveal and claim forms name the wallet that holds the ballot; votes follow the choice above.
  function voterOf(form) {
    return form.querySelector('input[name="voter"]');
  }

  function usesWallet(form) {
    var voter = voterOf(form);
    if (voter && voter.dataset.kind === "external") return true;
    if (voter && voter.dataset.kind === "custodial") return false;
    return browserOption.checked;
  }

  function errorBox(form, create) {
    var holder = form.closest(".review-item, li") || form.parentNode;
    var box = holder.querySelector(".wallet-error");
    if (!box && create) {
      box = document.createElement("p");
      box.className = "field-error wallet-error";
      box.setAttribute("role", "alert");
      holder.appendChild(box);
    }
    return box;
  }

  // The clicked button shows that its transaction is under way; the form takes no second click.
  function setBusy(form, button, busy) {
    form.querySelectorAll("button").forEach(function (b) { b.disabled = busy; });
    if (busy) {
      form.setAttribute("aria-busy", "true");
      button.dataset.idleText = button.textContent;
      button.textContent = "";
      var spinner = document.createElement("span");
      spinner.className = "spinner";
      spinner.setAttribute("aria-hidden", "true");
      button.appendChild(spinner);
      button.appendChild(document.createTextNode("Waiting for your wallet…"));
    } else {
      form.removeAttribute("aria-busy");
      if (button.dataset.idleText) button.textContent = button.dataset.idleText;
    }
  }

  function field(form, name) {
    var input = form.querySelector('input[name="' + name + '"]');
    return input ? input.value : "";
  }

  function act(form, button) {
    var action = actionOf(form);
    var dataset = field(form, "dataset");
    var base = "/api/dataset/" + encodeURIComponent(dataset) + "/review/";
    var body = { action: action };
    if (action === "vote" || action === "commit") body.side = button.value;
    if (action === "claim" && field(form, "round") !== "") body.round = parseInt(field(form, "round"), 10);
    return connect()
      .then(function (address) {
        var voter = voterOf(form) ? voterOf(form).value : "";
        if (voter && voter.toLowerCase() !== address.toLowerCase()) {
          throw new Error("this ballot is wallet " + voter + "'s; switch your wallet to that account.");
        }
        body.wallet = address;
        return wallet.checkChain(chainId);
      })
      .then(function () {
        say("Preparing the transaction…");
        return wallet.api("POST", base + "items/" + encodeURIComponent(field(form, "sha256")) + "/wallet-transaction", body);
      })
      .then(function (prepared) {
        say("Confirm the transaction in your wallet…");
        return wallet.request("eth_sendTransaction", [prepared.transaction]);
      })
      .then(function (txHash) {
        say("Waiting for transaction " + txHash + " to be mined…");
        return wallet.api("POST", base + "wallet-transactions", { tx_hash: txHash });
      })
      .then(function (done) {
        window.location.assign("/review?dataset=" + encodeURIComponent(dataset) + "&done=" + encodeURIComponent(done.action));
      });
  }

  var forms = 'form[action="/review/vote"], form[action="/review/commit"], form[action="/review/reveal"], form[action="/review/claim"]';
  document.querySelectorAll(forms).forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!usesWallet(form)) return;
      event.preventDefault();
      if (form.getAttribute("aria-busy") === "true") return;
      var button = event.submitter || form.querySelector("button");
      var old = errorBox(form, false);
      if (old) old.remove();
      setBusy(form, button, true);
      act(form, button).catch(function (error) {
        setBusy(form, button, false);
        errorBox(form, true).textContent = "Could not " + VERBS[actionOf(form)] + ": " + error.message;
        say("");
      });
    });
  });

  // The page vote (one submission for the whole queue page) is signed by the server's wallet only.
  var pageVote = document.getElementById("page-vote");
  if (pageVote) {
    pageVote.addEventListener("submit", function (event) {
      var note = pageVote.querySelector(".wallet-only-single");
      note.hidden = !browserOption.checked;
      if (browserOption.checked) event.preventDefault();
    });
  }

  if (remembered() === "browser" || serverOption.disabled) browserOption.checked = true;
  browserOption.addEventListener("change", function () {
    if (!browserOption.checked) return;
    remember("browser");
    connect().catch(function (error) { say("Could not use your wallet: " + error.message); });
  });
  serverOption.addEventListener("change", function () {
    if (serverOption.checked) { remember("server"); say(""); }
  });
})();
