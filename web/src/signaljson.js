// Building the JSON signal of the broker's API (POST /v1/signals) from the
// server-rendered form: every input that carries data-type is named by its
// path in the signal ("subject.national_number", "fields.presence",
// "observed_at"), and its value is converted by its catalogue type. An empty
// input gives nothing: the broker refuses blank values, and a missing one is
// what the person meant.

import { normalizeNationalNumber } from "./nationalnumber.js";

/**
 * signalFromForm returns the signal the form describes, as a plain object.
 * Elements without data-type (the CSRF token, buttons) are not part of it.
 * @param {HTMLFormElement} form
 * @returns {object}
 */
export function signalFromForm(form) {
  const signal = {};
  const done = new Set();
  for (const el of form.elements) {
    const type = el.dataset ? el.dataset.type : undefined;
    if (!type || !el.name || el.disabled || done.has(el.name)) continue;
    const value = valueOf(form, el, type);
    if (el.type === "checkbox" || el.type === "radio") done.add(el.name);
    if (value === undefined) continue;
    setPath(signal, el.name, value);
  }
  return signal;
}

// valueOf converts one control's value by its catalogue type, or returns
// undefined for an empty one. Checkboxes and radios of one name are read
// together, once.
function valueOf(form, el, type) {
  if (el.type === "checkbox" || el.type === "radio") {
    const checked = [...form.elements].filter((o) => o.name === el.name && o.checked).map((o) => o.value);
    if (checked.length === 0) return undefined;
    return type === "list" ? checked : checked[0];
  }
  if (type === "list") {
    const items = el.multiple
      ? [...el.selectedOptions].map((o) => o.value)
      : el.value.split("\n").map((s) => s.trim()).filter((s) => s !== "");
    return items.length ? items : undefined;
  }
  const raw = el.value.trim();
  if (raw === "") return undefined;
  switch (type) {
    case "integer":
      return Number.parseInt(raw, 10);
    case "national_number":
      // The digits alone: the broker accepts both forms, and one form is
      // what the envelope of the same number always holds.
      return normalizeNationalNumber(raw) ?? raw;
    case "datetime":
      // A datetime-local input has no zone: it is the person's local time.
      return new Date(raw).toISOString().replace(/\.\d{3}Z$/, "Z");
    default:
      // string, date (YYYY-MM-DD from a date input), enum
      return type === "string" ? el.value : raw;
  }
}

// setPath sets obj[a][b]... = value for the path "a.b...". A path segment
// named __proto__, constructor or prototype is refused: the names come from
// the page, and the object they build must stay a plain object.
function setPath(obj, path, value) {
  const parts = path.split(".");
  let node = obj;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i];
    if (key === "" || key === "__proto__" || key === "constructor" || key === "prototype") {
      throw new Error("bad field path: " + path);
    }
    if (i === parts.length - 1) {
      node[key] = value;
    } else {
      if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
      node = node[key];
    }
  }
}
