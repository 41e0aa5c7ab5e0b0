#!/usr/bin/env node
// `npm run demo:web [-- --port N]`: serves the demo page web/ (with the browser bundle from
// dist/, the .wasm from build/ and the sample photograph from assets/) on 127.0.0.1 and
// prints its URL. Port: --port, else $PORT, else 8080 (or a free one when 8080 is taken).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startStaticServer } from './static-server.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { port: { type: 'string' }, verbose: { type: 'boolean', short: 'v' } } });

for (const f of ['dist/softpool.browser.js', 'build/softpool.wasm', 'build/softpool.scalar.wasm']) {
  if (!existsSync(path.join(ROOT, f))) {
    console.error(`error: ${f} is missing; run \`npm run build\` first`);
    process.exit(1);
  }
}

const wanted = values.port ?? process.env.PORT;
const port = wanted === undefined ? 8080 : Number(wanted);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`error: --port must be an integer 0..65535, got '${wanted}'`);
  process.exit(2);
}
const options = { root: ROOT, dirs: ['web', 'dist', 'build', 'assets'], index: '/web/', log: values.verbose ? console.log : null };
let server;
try {
  server = await startStaticServer({ ...options, port });
} catch (err) {
  if (err.code !== 'EADDRINUSE' || wanted !== undefined) throw err;
  server = await startStaticServer({ ...options, port: 0 });
}
console.log(`softpool-wasm demo: ${server.url}web/   (Ctrl+C to stop)`);
const stop = () => server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
