#!/usr/bin/env node
// The client's libraries, vendored from the npm registry at pinned versions (web/vendor/lock.json).
//
//   node web/scripts/vendor.mjs check     every vendored file matches the hash in the lock (offline)
//   node web/scripts/vendor.mjs refresh   fetch the pinned packages again (`npm pack` checks each
//                                         tarball against the registry's integrity), verify that
//                                         integrity against the lock, rewrite web/vendor/
//   node web/scripts/vendor.mjs update    as refresh, but take the integrity the registry gives for
//                                         the versions now in the lock (after changing a version)
//
// A vendored module imports its peers by relative path ("./preact.mjs"), never by bare name: the
// browser loads them without an import map, so the page has no inline script at all.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, mkdirSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const vendor = join(dirname(fileURLToPath(import.meta.url)), "..", "vendor");
const lockPath = join(vendor, "lock.json");

/** What each package gives: its file → the vendored name, and how bare imports are rewritten. */
const LAYOUT = {
  preact: {
    files: { "dist/preact.mjs": "preact.mjs", "hooks/dist/hooks.mjs": "preact-hooks.mjs", LICENSE: "preact.LICENSE" },
    types: { "preact.d.mts": "preact", "preact-hooks.d.mts": "preact/hooks" },
  },
  htm: {
    files: { "dist/htm.mjs": "htm.mjs", "preact/index.mjs": "htm-preact.mjs", LICENSE: "htm.LICENSE" },
    types: { "htm-preact.d.mts": "htm/preact" },
  },
};
const IMPORTS = { preact: "./preact.mjs", htm: "./htm.mjs" };

const sha256 = (bytes) => "sha256-" + createHash("sha256").update(bytes).digest("base64");
const sha512 = (bytes) => "sha512-" + createHash("sha512").update(bytes).digest("base64");

/** Bare imports of the vendored packages become relative ones; anything else is an error. */
export function rewriteImports(source) {
  return source.replace(/(\bfrom\s*|\bimport\s*)(["'])([^"']+)\2/g, (whole, keyword, quote, name) => {
    if (name.startsWith("./")) return whole;
    const target = IMPORTS[name];
    if (!target) throw new Error(`unknown import ${name}`);
    return `${keyword}${quote}${target}${quote}`;
  });
}

function readLock() {
  return JSON.parse(readFileSync(lockPath, "utf8"));
}

function check() {
  const lock = readLock();
  const expected = Object.entries(lock.files);
  const present = readdirSync(vendor).filter((n) => n !== "lock.json").sort();
  const listed = expected.map(([name]) => name).sort();
  if (JSON.stringify(present) !== JSON.stringify(listed)) {
    throw new Error(`web/vendor holds ${present.join(", ")}; the lock lists ${listed.join(", ")}`);
  }
  for (const [name, hash] of expected) {
    const actual = sha256(readFileSync(join(vendor, name)));
    if (actual !== hash) throw new Error(`web/vendor/${name} is ${actual}, the lock says ${hash}`);
  }
  console.log(`web/vendor: ${expected.length} files match web/vendor/lock.json`);
}

function pack(name, version, work) {
  const out = execFileSync("npm", ["pack", `${name}@${version}`, "--json", "--pack-destination", work], {
    cwd: work,
    encoding: "utf8",
  });
  const [info] = JSON.parse(out);
  const tarball = join(work, info.filename);
  const integrity = sha512(readFileSync(tarball));
  if (integrity !== info.integrity) throw new Error(`${name}@${version}: npm reports ${info.integrity}, the tarball is ${integrity}`);
  const dir = join(work, name);
  mkdirSync(dir);
  execFileSync("tar", ["-xzf", tarball, "-C", dir, "--strip-components=1"]);
  return { dir, integrity };
}

function refresh(takeRegistry) {
  const lock = readLock();
  const work = mkdtempSync(join(tmpdir(), "pingme-vendor-"));
  const files = {};
  try {
    for (const [name, layout] of Object.entries(LAYOUT)) {
      const pinned = lock.packages[name];
      const { dir, integrity } = pack(name, pinned.version, work);
      if (!takeRegistry && integrity !== pinned.integrity) {
        throw new Error(`${name}@${pinned.version} is ${integrity}; the lock says ${pinned.integrity}`);
      }
      pinned.integrity = integrity;
      for (const [from, to] of Object.entries(layout.files)) {
        let bytes = readFileSync(join(dir, from));
        if (to.endsWith(".mjs")) bytes = Buffer.from(rewriteImports(bytes.toString("utf8")));
        files[to] = bytes;
      }
      for (const [to, types] of Object.entries(layout.types)) {
        files[to] = Buffer.from(`// Types for tsc --checkJs only (never served): the package's own, from web/node_modules.\nexport * from "${types}";\n`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const name of readdirSync(vendor)) if (name !== "lock.json") rmSync(join(vendor, name));
  lock.files = {};
  for (const name of Object.keys(files).sort()) {
    writeFileSync(join(vendor, name), files[name]);
    lock.files[name] = sha256(files[name]);
  }
  writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
  console.log(`web/vendor: ${Object.keys(files).length} files from ${Object.keys(LAYOUT).join(", ")}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === "check") check();
  else if (command === "refresh") refresh(false);
  else if (command === "update") refresh(true);
  else {
    console.error("usage: vendor.mjs check | refresh | update");
    process.exit(2);
  }
}
