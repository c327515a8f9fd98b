// Builds the browser assets into internal/web/static (served to users) and
// copies axe-core into test/browser/testdata (for the browser tests only),
// with the audit verifier as a global (livcAuditVerify) for its unit tests
// in the browser.
// The output depends only on the sources and the pinned packages of
// package-lock.json: no timestamps, no absolute paths, no source maps.
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const staticDir = join(root, "internal", "web", "static");
const testdata = join(root, "test", "browser", "testdata");

await esbuild.build({
  absWorkingDir: here,
  entryPoints: { signal: "src/signal.js", verify: "src/verify.js" },
  outdir: staticDir,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2022", "chrome120", "firefox121", "safari17"],
  platform: "browser",
  legalComments: "eof",
  charset: "utf8",
  sourcemap: false,
  logLevel: "info",
});

mkdirSync(testdata, { recursive: true });
await esbuild.build({
  absWorkingDir: here,
  entryPoints: ["src/auditverify.js"],
  outfile: join(testdata, "auditverify.js"),
  bundle: true,
  format: "iife",
  globalName: "livcAuditVerify",
  target: ["es2022"],
  platform: "browser",
  charset: "utf8",
  sourcemap: false,
  logLevel: "info",
});
copyFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), join(testdata, "axe.min.js"));
