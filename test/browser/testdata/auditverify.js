var livcAuditVerify = (() => {
  var __defProp = Object.defineProperty;
  var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
  var __getOwnPropNames = Object.getOwnPropertyNames;
  var __hasOwnProp = Object.prototype.hasOwnProperty;
  var __export = (target, all) => {
    for (var name in all)
      __defProp(target, name, { get: all[name], enumerable: true });
  };
  var __copyProps = (to, from, except, desc) => {
    if (from && typeof from === "object" || typeof from === "function") {
      for (let key of __getOwnPropNames(from))
        if (!__hasOwnProp.call(to, key) && key !== except)
          __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
    }
    return to;
  };
  var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

  // src/auditverify.js
  var auditverify_exports = {};
  __export(auditverify_exports, {
    Replayer: () => Replayer,
    VerifyError: () => VerifyError,
    b64: () => b64,
    hex: () => hex,
    leafHash: () => leafHash,
    nodeHash: () => nodeHash,
    openCheckpoint: () => openCheckpoint,
    openNote: () => openNote,
    parseCheckpoint: () => parseCheckpoint,
    parseVerifierKey: () => parseVerifierKey,
    toB64: () => toB64,
    verifyConsistency: () => verifyConsistency,
    verifyLog: () => verifyLog
  });
  var te = new TextEncoder();
  var VerifyError = class extends Error {
    constructor(kind, detail, where = {}) {
      super(detail);
      this.kind = kind;
      Object.assign(this, where);
    }
  };
  function b64(s) {
    if (typeof s !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
      throw new VerifyError("format", "not base64");
    }
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    if (toB64(out) !== s) throw new VerifyError("format", "not canonical base64");
    return out;
  }
  function toB64(bytes) {
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }
  function leafHash(entry) {
    return sha256(concat(new Uint8Array([0]), entry));
  }
  function nodeHash(left, right) {
    return sha256(concat(new Uint8Array([1]), left, right));
  }
  async function parseVerifierKey(vkey) {
    const m = typeof vkey === "string" ? /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(vkey.trim()) : null;
    if (!m) throw new VerifyError("key", "not a verifier key (name+hash+key)");
    const [, name, hashHex] = m;
    let raw;
    try {
      raw = b64(m[3]);
    } catch {
      throw new VerifyError("key", "the key is not base64");
    }
    if (raw.length !== 33 || raw[0] !== 1) throw new VerifyError("key", "not an Ed25519 verifier key");
    const h = await sha256(concat(te.encode(name + "\n"), raw));
    const want = h.slice(0, 4).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
    if (want !== hashHex) throw new VerifyError("key", "the key's hash does not match the key");
    let key;
    try {
      key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch {
      throw new VerifyError("key", "this browser cannot use the Ed25519 key");
    }
    return { name, hash: h.slice(0, 4), key };
  }
  async function openNote(note, vk) {
    if (typeof note !== "string") throw new VerifyError("note", "not a note");
    note = note.replace(/^[\r\n\t ]+/, "");
    const split = note.lastIndexOf("\n\n");
    if (split < 0 || !note.endsWith("\n")) throw new VerifyError("note", "not a signed note");
    const text = note.slice(0, split + 1);
    const sigs = note.slice(split + 2, -1).split("\n");
    if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new VerifyError("note", "the note's text has control characters");
    let found = false;
    for (const line of sigs) {
      const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      if (!m) throw new VerifyError("note", "a malformed signature line");
      if (m[1] !== vk.name) continue;
      const sig = b64(m[2]);
      if (sig.length !== 68 || !equal(sig.slice(0, 4), vk.hash)) continue;
      const ok = await crypto.subtle.verify("Ed25519", vk.key, sig.slice(4), te.encode(text));
      if (!ok) throw new VerifyError("signature", "the signature by the key does not verify");
      found = true;
    }
    if (!found) throw new VerifyError("signature", "no signature by the key");
    return text;
  }
  function parseCheckpoint(text) {
    const lines = text.split("\n");
    if (lines.length < 4 || lines[0] === "") throw new VerifyError("format", "not origin, size and hash lines");
    if (!/^(0|[1-9][0-9]{0,15})$/.test(lines[1])) throw new VerifyError("format", "bad size");
    const root = b64(lines[2]);
    if (root.length !== 32) throw new VerifyError("format", "bad root hash");
    return { origin: lines[0], size: Number(lines[1]), root, rootB64: lines[2] };
  }
  async function openCheckpoint(note, vk, origin) {
    const cp = parseCheckpoint(await openNote(note, vk));
    if (origin && cp.origin !== origin) throw new VerifyError("origin", "a checkpoint of another log", { origin: cp.origin });
    cp.note = note;
    return cp;
  }
  async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
    if (first > second) return false;
    if (first === 0) return proof.length === 0;
    if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
    if (proof.length === 0) return false;
    let path = proof;
    if ((first & first - 1) === 0 && Number.isSafeInteger(first)) path = [firstRoot, ...proof];
    let fn = first - 1;
    let sn = second - 1;
    while (fn % 2 === 1) {
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    let fr = path[0];
    let sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
  }
  var Replayer = class {
    constructor(checkpoints) {
      this.cps = [...checkpoints].sort((a, b) => a.size - b.size);
      this.next = 0;
      this.good = 0;
      this.n = 0;
      this.stack = [];
      this.problem = null;
    }
    /**
     * add checks the next entry: {index, entry (bytes), leafHash (hex, or
     * "" when none is stored)}. index is where the server says it is.
     */
    async add(item) {
      return this.addAll([item]);
    }
    /**
     * addAll checks the next entries, in order, as add does; their leaf
     * hashes are computed together (WebCrypto works in parallel), the tree
     * one entry after the other.
     */
    async addAll(items) {
      const leaves = await Promise.all(items.map((it) => leafHash(it.entry)));
      for (let i = 0; i < items.length; i++) {
        if (await this.addLeaf(items[i], leaves[i])) break;
      }
      return this.problem;
    }
    async addLeaf(item, leaf) {
      if (this.problem || await this.check()) return this.problem;
      if (item.index > this.n) return this.fail("missing", this.n);
      let self;
      try {
        self = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(item.entry)).index;
      } catch {
        return this.fail("corrupt", this.n);
      }
      if (!Number.isInteger(self)) return this.fail("corrupt", this.n);
      if (self > this.n) return this.fail("missing", this.n);
      if (self < this.n || item.index < this.n) return this.fail("out_of_order", this.n, { found: self });
      if (item.leafHash && item.leafHash !== hex(leaf)) return this.fail("leaf_mismatch", this.n);
      await this.push(leaf);
      return this.check();
    }
    async push(h) {
      this.stack.push(h);
      this.n++;
      for (let n = this.n; n % 2 === 0; n /= 2) {
        const r = this.stack.pop();
        const l = this.stack.pop();
        this.stack.push(await nodeHash(l, r));
      }
    }
    /** root is the tree hash of the entries added so far. */
    async root() {
      if (this.stack.length === 0) return new Uint8Array(32);
      let h = this.stack[this.stack.length - 1];
      for (let i = this.stack.length - 2; i >= 0; i--) h = await nodeHash(this.stack[i], h);
      return h;
    }
    // check compares the tree with every checkpoint of the current size.
    async check() {
      while (!this.problem && this.next < this.cps.length && this.cps[this.next].size === this.n) {
        const cp = this.cps[this.next];
        if (cp.size > 0 && !equal(await this.root(), cp.root)) {
          return this.fail("checkpoint_mismatch", this.good, { until: cp.size });
        }
        this.good = cp.size;
        this.next++;
      }
      return this.problem;
    }
    fail(kind, index, more = {}) {
      this.problem = { kind, index, ...more };
      return this.problem;
    }
    /** finish ends the replay: the log must reach the largest checkpoint. */
    async finish() {
      await this.check();
      if (!this.problem && this.next < this.cps.length) this.fail("truncated", this.n);
      return this.problem;
    }
  };
  function hex(bytes) {
    let s = "";
    for (const b of bytes) s += b.toString(16).padStart(2, "0");
    return s;
  }
  async function verifyLog({ key, saved, src, progress }) {
    try {
      return await verifyLogOrThrow(key, saved, src, progress || (() => {
      }));
    } catch (e) {
      if (e instanceof VerifyError) return { ok: false, ...e, kind: e.kind, detail: e.message };
      throw e;
    }
  }
  async function verifyLogOrThrow(key, saved, src, progress) {
    const vk = await parseVerifierKey(key);
    let savedCp = null;
    if (saved) {
      try {
        savedCp = await openCheckpoint(saved, vk);
      } catch (e) {
        throw new VerifyError("saved_signature", e.message);
      }
    }
    let cp = await openCheckpoint(await src.latest(), vk, savedCp && savedCp.origin);
    if (savedCp && cp.size < savedCp.size) {
      return { ok: false, kind: "shorter", size: cp.size, saved: savedCp.size };
    }
    if (savedCp && savedCp.size > 0) {
      const r = await src.consistency(savedCp.size);
      cp = await openCheckpoint(r.checkpoint, vk, savedCp.origin);
      const proof = (r.proof || []).map(b64);
      if (!await verifyConsistency(savedCp.size, cp.size, savedCp.root, cp.root, proof)) {
        return { ok: false, kind: "inconsistent", size: cp.size, saved: savedCp.size };
      }
    }
    const cps = [cp];
    if (savedCp) cps.push(savedCp);
    for (const note of await src.checkpoints()) {
      let k;
      try {
        k = await openCheckpoint(note, vk, cp.origin);
      } catch (e) {
        throw new VerifyError("bad_checkpoint", e.message, { index: sizeOf(note) });
      }
      if (k.size <= cp.size) cps.push(k);
    }
    const problem = await replay(new Replayer(cps), cp.size, src, progress);
    if (problem) return { ok: false, size: cp.size, ...problem };
    return { ok: true, origin: cp.origin, size: cp.size, root: cp.rootB64, note: cp.note, extends: savedCp ? savedCp.size : null };
  }
  async function replay(r, size, src, progress) {
    while (r.n < size) {
      const page = await src.entries(r.n, size);
      const items = (page.items || []).filter((it) => it.index < size);
      if (items.length === 0) break;
      if (await r.addAll(items.map((it) => ({ index: it.index, entry: b64(it.entry), leafHash: it.leaf_hash || "" })))) {
        return r.problem;
      }
      progress(r.n, size);
    }
    return r.finish();
  }
  function sizeOf(note) {
    const m = /^[^\n]*\n([0-9]{1,16})\n/.exec(String(note).replace(/^[\r\n\t ]+/, ""));
    return m ? Number(m[1]) : -1;
  }
  return __toCommonJS(auditverify_exports);
})();
