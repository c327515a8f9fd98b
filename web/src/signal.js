// The social worker's new-signal form (#signal-form): the national number is
// checked while typing, and on submit the signal is built from the form as
// JSON, encrypted in the browser with age to the broker's post-quantum
// recipient (data-recipient) and sent as application/age to data-endpoint
// with the CSRF token (data-csrf) in X-CSRF-Token. The plaintext never leaves
// the page: the form has no fallback that posts it, and a failure to encrypt
// sends nothing.
//
// The lookup form (#lookup-form) is the same form with the identity only:
// its JSON ({"subject": {...}}, the body of POST /v1/subjects/lookup) is
// encrypted and sent the same way, and the answer ({"known", "card"}) is
// shown in the page's #lookup-hit (with the card's link, focused) or
// #lookup-nohit. The identity is never put in a URL.
//
// Texts come from the page, in the person's language: data-msg-invalid on a
// national-number input, data-msg-sending, data-msg-failed and
// data-msg-refused on the form. English stands in where one is missing.

import { Encrypter } from "age-encryption";
import { normalizeNationalNumber } from "./nationalnumber.js";
import { signalFromForm } from "./signaljson.js";

const fallback = {
  invalid: "This is not a valid national number (11 digits, mod-97 check).",
  sending: "Encrypting and sending…",
  failed: "The signal could not be sent. Nothing was stored; please try again.",
  refused: "The broker refused the signal. Check the fields and try again.",
};

/**
 * encryptSignal encrypts the JSON text of a signal to one age recipient
 * ("age1pq1…" for the broker's post-quantum hybrid key) and returns the
 * binary envelope. The time it takes is recorded as the performance measure
 * "livc-encrypt", which the browser tests read for their budget.
 * @param {string} recipient
 * @param {string} json
 * @returns {Promise<Uint8Array>}
 */
export async function encryptSignal(recipient, json) {
  const start = performance.now();
  const e = new Encrypter();
  e.addRecipient(recipient);
  const out = await e.encrypt(json);
  performance.measure("livc-encrypt", { start, end: performance.now() });
  return out;
}

function msg(el, key) {
  return (el && el.dataset && el.dataset["msg" + key[0].toUpperCase() + key.slice(1)]) || fallback[key];
}

// errorElement returns the message element linked to input by
// aria-describedby, made when the page has none ("<id>-error").
function errorElement(input) {
  const id = (input.id || input.name.replace(/\W/g, "-")) + "-error";
  let el = document.getElementById(id);
  if (!el) {
    el = document.createElement("p");
    el.id = id;
    el.className = "field-error";
    el.hidden = true;
    input.insertAdjacentElement("afterend", el);
  }
  const described = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  if (!described.includes(id)) {
    described.push(id);
    input.setAttribute("aria-describedby", described.join(" "));
  }
  return el;
}

// checkNationalNumber marks input invalid (aria-invalid, the linked message,
// and a custom validity that blocks the form's submission) or valid. While
// the person is still typing the first eleven digits, a number is not yet
// called wrong, but it still blocks submission.
function checkNationalNumber(input, typing) {
  const v = input.value.trim();
  const ok = v === "" || normalizeNationalNumber(v) !== null;
  const digits = (v.match(/\d/g) || []).length;
  const badChar = /[^\d .-]/.test(v);
  const show = !ok && (!typing || digits >= 11 || badChar);
  input.setCustomValidity(ok ? "" : msg(input, "invalid"));
  const el = errorElement(input);
  if (show) {
    input.setAttribute("aria-invalid", "true");
    el.textContent = msg(input, "invalid");
    el.hidden = false;
  } else {
    input.removeAttribute("aria-invalid");
    el.textContent = "";
    el.hidden = true;
  }
  return ok;
}

// statusElement returns the form's live region for progress and errors.
function statusElement(form) {
  let el = form.querySelector("[data-role=status]");
  if (!el) {
    el = document.createElement("p");
    el.dataset.role = "status";
    el.className = "form-status";
    el.setAttribute("role", "status");
    el.setAttribute("aria-live", "polite");
    form.append(el);
  }
  return el;
}

async function submit(form, status, button) {
  const d = form.dataset;
  status.textContent = msg(form, "sending");
  if (button) button.disabled = true;
  if (form.id === "lookup-form") clearLookup();
  try {
    const body = await encryptSignal(d.recipient, JSON.stringify(signalFromForm(form)));
    const res = await fetch(d.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/age", "X-CSRF-Token": d.csrf || "" },
      body,
      credentials: "same-origin",
      redirect: "error",
    });
    if (form.id === "lookup-form") {
      await showLookup(form, status, res);
      return;
    }
    if (res.status !== 201) {
      status.textContent = msg(form, res.status >= 400 && res.status < 500 ? "refused" : "failed");
      return;
    }
    const answer = await res.json();
    const next = new URL(answer.next, location.href);
    if (next.origin !== location.origin) throw new Error("next is off this origin");
    location.assign(next.href);
  } catch (err) {
    status.textContent = msg(form, "failed");
  } finally {
    if (button) button.disabled = false;
  }
}

// clearLookup hides the previous question's answer before a new one is
// sent: a question that is refused or fails (encryption, network) must not
// leave the last person's hit, and its card link, on show as if it answered
// this one.
function clearLookup() {
  for (const id of ["lookup-hit", "lookup-nohit"]) {
    const el = document.getElementById(id);
    if (el) el.hidden = true;
  }
  const link = document.getElementById("lookup-card");
  if (link) link.href = location.pathname;
}

// showLookup shows the lookup's answer: hit, with the link to the card
// (a path of this site only) focused, so that Enter opens it; or no-hit,
// focused so that a screen reader reads it.
async function showLookup(form, status, res) {
  const hit = document.getElementById("lookup-hit");
  const none = document.getElementById("lookup-nohit");
  const link = document.getElementById("lookup-card");
  const placeholder = document.getElementById("lookup-none");
  if (!hit || !none || !link) throw new Error("the page has no place for the answer");
  if (res.status !== 200) {
    status.textContent = msg(form, res.status >= 400 && res.status < 500 ? "refused" : "failed");
    return;
  }
  const answer = await res.json();
  status.textContent = "";
  if (placeholder) placeholder.hidden = true;
  if (answer.known === true) {
    const card = new URL(answer.card, location.href);
    if (card.origin !== location.origin) throw new Error("the card is off this origin");
    link.href = card.pathname;
    none.hidden = true;
    hit.hidden = false;
    link.focus();
  } else {
    link.href = location.pathname;
    hit.hidden = true;
    none.hidden = false;
    none.focus();
  }
}

function init(form) {
  const numbers = form.querySelectorAll('[data-type="national_number"]');
  for (const input of numbers) {
    input.addEventListener("input", () => checkNationalNumber(input, true));
    input.addEventListener("blur", () => checkNationalNumber(input, false));
    if (input.value) checkNationalNumber(input, false);
  }
  // The page renders the submit buttons disabled, so that without this
  // script the form cannot post its plaintext; now it can be sent
  // encrypted.
  for (const b of form.querySelectorAll("button[type=submit], input[type=submit]")) b.disabled = false;
  const status = statusElement(form);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    let first = null;
    for (const input of numbers) {
      if (!checkNationalNumber(input, false) && !first) first = input;
    }
    if (first) {
      first.focus();
      return;
    }
    if (!form.dataset.recipient || !form.dataset.endpoint) {
      status.textContent = msg(form, "failed");
      return;
    }
    submit(form, status, ev.submitter || form.querySelector("[type=submit]"));
  });
}

function start() {
  for (const id of ["signal-form", "lookup-form"]) {
    const form = document.getElementById(id);
    if (form) init(form);
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
