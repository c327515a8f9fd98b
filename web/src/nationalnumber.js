// The Belgian national number (rijksregisternummer / numéro de registre
// national, or a BIS number), checked as the broker checks it
// (broker.NormalizeNationalNumber): the browser's verdict must never differ
// from the server's, or a person would see a number refused after submitting.

// maxLength bounds the written form, as the broker does.
const maxLength = 32;

/**
 * normalizeNationalNumber returns the 11 digits of a valid national number,
 * or null. Spaces, dots and dashes may separate the digits; the written form
 * must begin and end with a digit. The check is 97 minus the first nine
 * digits modulo 97 (born before 2000) or 97 minus "2" followed by them
 * modulo 97 (born from 2000 on); either rule makes the number valid.
 * @param {string} s
 * @returns {string|null}
 */
export function normalizeNationalNumber(s) {
  s = s.trim();
  if (s === "" || s.length > maxLength || !isDigit(s[0]) || !isDigit(s[s.length - 1])) {
    return null;
  }
  let digits = "";
  for (const c of s) {
    if (isDigit(c)) {
      if (digits.length === 11) return null;
      digits += c;
    } else if (c !== " " && c !== "." && c !== "-") {
      return null;
    }
  }
  if (digits.length !== 11) return null;
  // Nine digits and 2,000,000,000 plus them stay far below 2^53.
  const base = Number(digits.slice(0, 9));
  const check = Number(digits.slice(9));
  if (97 - (base % 97) === check || 97 - ((2000000000 + base) % 97) === check) {
    return digits;
  }
  return null;
}

function isDigit(c) {
  return c >= "0" && c <= "9";
}
