// Unit tests of the audit verifier (web/src/auditverify.js, bundled as the
// global livcAuditVerify), run in Chromium by TestAuditVerifierInBrowser
// against the vectors Go made (auditverify-vectors.json). Each case answers
// {name, error}: error "" when it passed.
window.runAuditVerifyTests = async function (v) {
  const A = window.livcAuditVerify;
  const results = [];
  const test = async (name, fn) => {
    try {
      await fn();
      results.push({ name, error: "" });
    } catch (e) {
      results.push({ name, error: String((e && e.stack) || e) });
    }
  };
  const expect = (cond, what) => {
    if (!cond) throw new Error(what);
  };
  const throwsKind = async (kind, fn) => {
    try {
      await fn();
    } catch (e) {
      expect(e instanceof A.VerifyError && e.kind === kind, "threw " + (e.kind || e) + ", want " + kind);
      return;
    }
    throw new Error("did not throw, want " + kind);
  };
  const last = String(v.log.entries.length);
  const vk = await A.parseVerifierKey(v.key);

  // The log as a server would serve it, with changes a test makes.
  const source = (log, opts = {}) => {
    const items = log.entries.map((e, i) => ({ index: i, entry: e, leaf_hash: log.leaf_hashes[i] }));
    const shown = (opts.change || ((x) => x))(items);
    return {
      latest: async () => opts.latest || log.notes[last],
      consistency: async (from) => ({ checkpoint: opts.latest || log.notes[last], proof: opts.proof || v.log_proofs[String(from)] }),
      checkpoints: async () => opts.kept || Object.values(log.notes),
      entries: async (from, size) => ({ items: shown.filter((it) => it.index >= from && it.index < size).slice(0, opts.page || 1000) }),
    };
  };

  await test("verifier key: parsed, its hash checked", async () => {
    expect(vk.name === "livc-broker", "name " + vk.name);
    await throwsKind("key", () => A.parseVerifierKey(v.key.replace(/\+[0-9a-f]{8}\+/, "+00000000+")));
    await throwsKind("key", () => A.parseVerifierKey("livc-broker+c4c6759a"));
    await throwsKind("key", () => A.parseVerifierKey(v.key.slice(0, -4) + "AAAA"));
  });
  await test("note: the log's checkpoints open with the key", async () => {
    for (const [size, note] of Object.entries(v.log.notes)) {
      const cp = await A.openCheckpoint(note, vk, v.origin);
      expect(cp.size === Number(size), "size " + cp.size);
      expect(cp.rootB64 === v.log.roots[size], "root " + cp.rootB64);
    }
  });
  await test("note: a bad signature is refused", () => throwsKind("signature", () => A.openNote(v.bad_signature, vk)));
  await test("note: a note signed by another key is refused", () => throwsKind("signature", () => A.openNote(v.other_signed, vk)));
  await test("note: the right note with a wrong key is refused", async () => {
    const other = await A.parseVerifierKey(v.other_key);
    await throwsKind("signature", () => A.openNote(v.log.notes[last], other));
  });
  await test("note: a changed text is refused", () =>
    throwsKind("signature", () => A.openNote(v.log.notes[last].replace("\n13\n", "\n14\n"), vk)));
  await test("note: not a note", () => throwsKind("note", () => A.openNote("livc-broker/audit/zonnedaal\n13\n", vk)));
  await test("checkpoint: of another origin", () => throwsKind("origin", () => A.openCheckpoint(v.log.notes[last], vk, "livc-broker/audit/other")));
  await test("leaf hashes: SHA-256(0x00 || the entry's bytes)", async () => {
    for (let i = 0; i < v.log.entries.length; i++) {
      expect(A.hex(await A.leafHash(A.b64(v.log.entries[i]))) === v.log.leaf_hashes[i], "leaf " + i);
    }
  });
  await test("root: recomputed from every entry, at every size", async () => {
    const r = new A.Replayer([]);
    for (let i = 0; i < v.log.entries.length; i++) {
      expect((await r.add({ index: i, entry: A.b64(v.log.entries[i]), leafHash: "" })) === null, "problem at " + i);
      expect(A.toB64(await r.root()) === v.log.roots[String(i + 1)], "root of size " + (i + 1));
    }
  });
  for (const c of v.consistency) {
    await test("consistency: " + c.name, async () => {
      const ok = await A.verifyConsistency(c.first, c.second, A.b64(c.first_root), A.b64(c.second_root), c.proof.map(A.b64));
      expect(ok === c.ok, "verdict " + ok + ", Go's " + c.ok);
    });
  }
  await test("consistency: the fork does not extend the log", async () => {
    const ok = await A.verifyConsistency(5, 13, A.b64(v.log.roots["5"]), A.b64(v.fork.roots[last]), v.fork_proof.map(A.b64));
    expect(!ok, "the fork extends the log");
  });

  const run = (opts) => A.verifyLog({ key: v.key, saved: v.log.notes["5"], ...opts });
  const want = (res, kind, index) => {
    expect(res.kind === kind || (kind === "ok" && res.ok), "answered " + JSON.stringify(res) + ", want " + kind);
    if (index !== undefined) expect(res.index === index, "at " + res.index + ", want " + index);
  };
  await test("whole log: ok, from a saved checkpoint", async () => {
    const res = await run({ src: source(v.log, { page: 4 }) });
    want(res, "ok");
    expect(res.size === 13 && res.extends === 5 && res.root === v.log.roots[last], JSON.stringify(res));
  });
  await test("whole log: ok, without a saved checkpoint", async () => {
    const res = await run({ saved: null, src: source(v.log) });
    want(res, "ok");
    expect(res.extends === null, "extends " + res.extends);
  });
  await test("whole log: an entry deleted is missing at its index", async () =>
    want(await run({ src: source(v.log, { change: (it) => it.filter((x) => x.index !== 7) }) }), "missing", 7));
  await test("whole log: the last entry deleted: the log ends early", async () =>
    want(await run({ src: source(v.log, { change: (it) => it.slice(0, 12) }) }), "truncated", 12));
  await test("whole log: an entry moved: position 9 holds entry 2", async () =>
    want(await run({ src: source(v.log, { change: (it) => it.map((x) => (x.index === 9 ? { ...x, entry: v.log.entries[2] } : x)) }) }), "out_of_order", 9));
  await test("whole log: an entry edited with its leaf hash", async () =>
    want(await run({ src: source(v.log, { change: (it) => it.map((x) => (x.index === 2 ? { ...x, entry: v.fork.entries[2] } : x)) }) }), "leaf_mismatch", 2));
  await test("whole log: an entry edited, no leaf hash stored: between the checkpoints around it", async () => {
    const edited = btoa(atob(v.log.entries[8]).replace("gelezen", "gewijzigd"));
    const res = await run({ src: source(v.log, { change: (it) => it.map((x) => ({ ...x, leaf_hash: "", entry: x.index === 8 ? edited : x.entry })) }) });
    want(res, "checkpoint_mismatch", 5);
    expect(res.until === 13, "until " + res.until);
  });
  await test("whole log: the fork, served to an officer who saved the log's checkpoint", async () =>
    want(await run({ src: source(v.fork, { latest: v.fork.notes[last], proof: v.fork_proof }) }), "inconsistent"));
  await test("whole log: the fork's entries under the log's checkpoints", async () => {
    const fork = { ...v.fork, notes: v.log.notes };
    const res = await run({ saved: null, src: source(fork, { change: (it) => it.map((x) => ({ ...x, leaf_hash: "" })) }) });
    want(res, "checkpoint_mismatch", 0);
    expect(res.until === 5, "until " + res.until);
  });
  await test("whole log: a bad signature on the latest checkpoint", async () =>
    want(await run({ src: source(v.log, { latest: v.bad_signature }) }), "signature"));
  await test("whole log: a wrong key", async () => want(await run({ key: v.other_key, saved: null, src: source(v.log) }), "signature"));
  await test("whole log: a saved checkpoint the key did not sign", async () =>
    want(await run({ saved: v.other_signed, src: source(v.log) }), "saved_signature"));
  await test("whole log: a kept checkpoint forged", async () =>
    want(await run({ src: source(v.log, { kept: [v.log.notes["5"], v.other_signed] }) }), "bad_checkpoint", 13));
  await test("whole log: shorter than the saved checkpoint", async () =>
    want(await run({ saved: v.log.notes[last], src: source(v.log, { latest: v.log.notes["5"] }) }), "shorter"));
  return results;
};
