// Parses an AsyncAPI document with the official @asyncapi/parser and prints its diagnostics
// as JSON on stdout: [{"code", "message", "severity", "severityName", "path"}]. The exit code is
// 0 whatever the diagnostics say; the caller (tests/contracts) decides what fails.
// Usage: node check.mjs <path/to/asyncapi.yaml>
import { resolve } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';

const SEVERITY = ['error', 'warning', 'info', 'hint'];

const file = process.argv[2];
if (!file) {
  console.error('usage: node check.mjs <asyncapi.yaml>');
  process.exit(2);
}

const parser = new Parser();
const { diagnostics } = await fromFile(parser, resolve(file)).parse();
const out = diagnostics.map((d) => ({
  code: String(d.code),
  message: d.message,
  severity: d.severity,
  severityName: SEVERITY[d.severity] ?? String(d.severity),
  path: d.path,
}));
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
