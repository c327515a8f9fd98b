// The privacy officer's verification of the audit log (#verify, the page
// /privacy/verify): the verifier key and a saved checkpoint are kept in
// this browser's localStorage, per cell; "verify" fetches the latest
// checkpoint, the consistency proof since the saved one, the kept
// checkpoints and every entry, and checks them here (auditverify.js).
//
// The key is never taken from the server silently: the server's key is only
// shown, and copied into the field by a button; it is kept only when the
// officer saves the field. Texts come from the page (#verify-msgs, in the
// person's language), with {size}, {index}, … filled in here.

import { openCheckpoint, parseVerifierKey, verifyLog, VerifyError } from "./auditverify.js";

const root = document.getElementById("verify");
const $ = (id) => document.getElementById(id);
let msgs = {};
try {
  msgs = JSON.parse($("verify-msgs").textContent);
} catch {
  msgs = {};
}
const keyStore = "livc-verify-key:" + root.dataset.cell;
const cpStore = "livc-verify-checkpoint:" + root.dataset.cell;
let latest = null; // the checkpoint of the last verification that succeeded

function text(id, vars = {}) {
  return (msgs[id] || id).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

function say(el, id, vars, cls) {
  el.textContent = text(id, vars);
  el.className = cls || "";
}

// get fetches a path of this page's data with the CSRF token; a refusal or
// an error of the network is thrown.
async function get(path, asText) {
  const r = await fetch(path, {
    headers: { "X-CSRF-Token": root.dataset.csrf, Accept: asText ? "text/plain" : "application/json" },
    credentials: "same-origin",
    cache: "no-store",
  });
  if (!r.ok) throw new Error("HTTP " + r.status);
  return asText ? r.text() : r.json();
}

const src = {
  latest: () => get("/privacy/verify/checkpoint", true),
  consistency: (from) => get("/privacy/verify/proof?from=" + from),
  checkpoints: async () => (await get("/privacy/verify/checkpoints")).items || [],
  entries: (from, size) => get("/privacy/verify/entries?from=" + from + "&size=" + size),
};

function showSaved() {
  const note = localStorage.getItem(cpStore);
  if (!note) {
    say($("saved-summary"), "none");
    return;
  }
  const lines = note.replace(/^[\r\n\t ]+/, "").split("\n");
  say($("saved-summary"), "saved", { origin: lines[0], size: lines[1], root: lines[2] });
}

async function saveKey() {
  const v = $("verify-key").value.trim();
  try {
    await parseVerifierKey(v);
  } catch {
    say($("key-status"), "key_invalid", {}, "bad");
    $("verify-key").setAttribute("aria-invalid", "true");
    return;
  }
  $("verify-key").removeAttribute("aria-invalid");
  localStorage.setItem(keyStore, v);
  say($("key-status"), "key_saved", {}, "good");
}

// keepNote saves a checkpoint after checking it with the saved key.
async function keepNote(note, status) {
  const key = localStorage.getItem(keyStore);
  if (!key) {
    say(status, "no_key", {}, "bad");
    return;
  }
  try {
    const cp = await openCheckpoint(note, await parseVerifierKey(key));
    localStorage.setItem(cpStore, cp.note.replace(/^[\r\n\t ]+/, ""));
    say(status, "cp_saved", { size: cp.size }, "good");
    showSaved();
  } catch (e) {
    say(status, e instanceof VerifyError && e.kind === "format" ? "cp_format" : "cp_bad", {}, "bad");
  }
}

async function run() {
  const key = localStorage.getItem(keyStore);
  const out = $("verify-result");
  $("verify-save").hidden = true;
  latest = null;
  if (!key) {
    say(out, "no_key", {}, "result bad");
    return;
  }
  $("verify-run").disabled = true;
  say($("verify-progress"), "running");
  out.textContent = "";
  out.className = "result";
  try {
    const res = await verifyLog({
      key,
      saved: localStorage.getItem(cpStore),
      src,
      progress: (n, size) => say($("verify-progress"), "progress", { n, size }),
    });
    say($("verify-progress"), "done");
    if (res.ok) {
      latest = res.note;
      say(out, res.extends === null ? "ok_unsaved" : "ok", { size: res.size, root: res.root, saved: res.extends }, "result good");
      $("verify-save").hidden = false;
    } else {
      say(out, "broken_" + res.kind, res, "result bad");
    }
    out.dataset.kind = res.ok ? "ok" : res.kind;
    out.dataset.index = res.index === undefined ? "" : String(res.index);
  } catch {
    say($("verify-progress"), "");
    say(out, "failed", {}, "result bad");
    out.dataset.kind = "failed";
  } finally {
    $("verify-run").disabled = false;
  }
}

$("verify-key").value = localStorage.getItem(keyStore) || "";
showSaved();
$("key-save").addEventListener("click", saveKey);
$("key-use").addEventListener("click", () => {
  $("verify-key").value = $("key-server").textContent.trim();
  say($("key-status"), "key_suggested", {}, "");
  $("verify-key").focus();
});
$("saved-keep").addEventListener("click", () => keepNote($("saved-note").value, $("saved-status")));
$("saved-forget").addEventListener("click", () => {
  localStorage.removeItem(cpStore);
  say($("saved-status"), "cp_forgotten", {}, "");
  showSaved();
});
$("verify-save").addEventListener("click", () => latest && keepNote(latest, $("verify-status")));
$("verify-run").addEventListener("click", run);
root.dataset.ready = "1";
