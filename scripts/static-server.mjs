// A tiny static file server on 127.0.0.1 for the demo page (`npm run demo:web`) and the
// browser tests: GET/HEAD only, files under `root` inside the allowed top-level folders,
// correct MIME types (application/wasm for .wasm), no caching, port 0 = a free port.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Starts serving. `dirs`: the top-level folders of `root` that may be served; `index`: where
 * `/` redirects. Resolves to { url, port, close() } once listening.
 */
export function startStaticServer({ root, dirs, host = '127.0.0.1', port = 0, index = null, log = null }) {
  const rootAbs = path.resolve(root);
  const server = createServer((req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
      log?.(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (pathname === '/' && index) return send(302, '', { location: index });
    const rel = path.posix.normalize(pathname).replace(/^\/+/, '');
    const top = rel.split('/')[0];
    if (rel.includes('\0') || rel.startsWith('..') || !dirs.includes(top)) return send(404, 'not found\n');
    let file = path.join(rootAbs, rel);
    if (!file.startsWith(rootAbs + path.sep)) return send(404, 'not found\n');
    let st;
    try {
      st = statSync(file);
      if (st.isDirectory()) {
        if (!pathname.endsWith('/')) return send(301, '', { location: pathname + '/' });
        file = path.join(file, 'index.html');
        st = statSync(file);
      }
    } catch {
      return send(404, 'not found\n');
    }
    if (!st.isFile()) return send(404, 'not found\n');
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    log?.(`200 ${req.method} ${req.url}`);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const actual = server.address().port;
      resolve({
        port: actual,
        url: `http://${host}:${actual}/`,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }),
      });
    });
  });
}
