// softpool-wasm demo page: SoftPool, max pooling and average pooling of one image, side by
// side. Static, no framework: it imports the browser bundle, which fetches build/softpool.wasm
// (or the scalar build) next to itself. Served by `npm run demo:web`.
import { init, backend, softPool2d } from '../dist/softpool.browser.js';

const MAX_SIDE = 2048;         // larger images are scaled down before pooling
const TIME_BUDGET_MS = 25;     // per method and update: repeat runs this long, report the best
const MAX_RUNS = 15;
const DEFAULT_IMAGE = new URL('../assets/astronaut.png', import.meta.url);

const $ = (id) => document.getElementById(id);
const ui = {
  file: $('file'), kernel: $('kernel'), stride: $('stride'), beta: $('beta'), betaValue: $('beta-value'),
  backend: $('backend'), backendChoice: $('backend-choice'), error: $('error'), input: $('input'),
  inputInfo: $('input-info'), outSize: $('out-size'), softLabel: $('soft-label'), overlay: $('drop-overlay'),
  canvases: { softpool: $('softpool'), maxpool: $('maxpool'), avgpool: $('avgpool') },
  times: { softpool: $('softpool-time'), maxpool: $('maxpool-time'), avgpool: $('avgpool-time') },
};

/** The current image as a CHW float32 tensor with values in [0, 1]. */
let image = null;
let renders = 0;
let scheduled = false;

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
  document.body.dataset.state = 'error';
}

function settings() {
  const kernel = Number(ui.kernel.value);
  const stride = Number(ui.stride.value) || kernel;
  const beta = Number(ui.beta.value);
  return { kernel, stride, beta };
}

/** Draws a bitmap into the input preview and turns it into a [3, H, W] tensor. */
function setImage(bitmap, name) {
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const W = Math.max(1, Math.round(bitmap.width * scale));
  const H = Math.max(1, Math.round(bitmap.height * scale));
  ui.input.width = W;
  ui.input.height = H;
  const ctx = ui.input.getContext('2d', { willReadFrequently: true });
  ctx.clearRect(0, 0, W, H);
  ctx.drawImage(bitmap, 0, 0, W, H);
  const rgba = ctx.getImageData(0, 0, W, H).data;
  const plane = W * H;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    data[i] = rgba[4 * i] / 255;
    data[plane + i] = rgba[4 * i + 1] / 255;
    data[2 * plane + i] = rgba[4 * i + 2] / 255;
  }
  image = { data, shape: [3, H, W] };
  ui.inputInfo.textContent = `${name}: ${W}×${H}` + (scale < 1 ? ` (scaled from ${bitmap.width}×${bitmap.height})` : '');
  schedule();
}

async function loadImage(source, name) {
  try {
    const blob = source instanceof Blob ? source : await (await fetch(source)).blob();
    const bitmap = await createImageBitmap(blob);
    setImage(bitmap, name);
    bitmap.close?.();
  } catch (err) {
    showError(`Could not read ${name} as an image: ${err.message ?? err}`);
  }
}

/** Max pooling of a [C, H, W] tensor (no padding, floor mode): a plain loop. */
function maxPool(x, k, s) {
  const [C, H, W] = x.shape;
  const oH = Math.floor((H - k) / s) + 1, oW = Math.floor((W - k) / s) + 1;
  const out = new Float32Array(C * oH * oW);
  const src = x.data;
  let o = 0;
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    for (let oy = 0; oy < oH; oy++) {
      for (let ox = 0; ox < oW; ox++) {
        let m = -Infinity;
        for (let ky = 0; ky < k; ky++) {
          let p = base + (oy * s + ky) * W + ox * s;
          for (let kx = 0; kx < k; kx++, p++) if (src[p] > m) m = src[p];
        }
        out[o++] = m;
      }
    }
  }
  return { data: out, shape: [C, oH, oW] };
}

/** Runs fn until the time budget is spent (at least once); returns its result and the best time. */
function timed(fn) {
  let result = fn(); // also warms up
  let best = Infinity;
  const start = performance.now();
  for (let runs = 0; runs < MAX_RUNS && performance.now() - start < TIME_BUDGET_MS; runs++) {
    const t0 = performance.now();
    result = fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { result, ms: best };
}

function draw(canvas, y) {
  const [, H, W] = y.shape;
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const img = ctx.createImageData(W, H);
  const plane = W * H;
  for (let i = 0; i < plane; i++) {
    img.data[4 * i] = y.data[i] * 255;           // Uint8ClampedArray rounds and clamps
    img.data[4 * i + 1] = y.data[plane + i] * 255;
    img.data[4 * i + 2] = y.data[2 * plane + i] * 255;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function formatRate(elements, ms) {
  const perSecond = elements / (ms / 1000);
  return perSecond >= 1e9 ? `${(perSecond / 1e9).toFixed(2)} G elements/s` : `${(perSecond / 1e6).toFixed(0)} M elements/s`;
}

function render() {
  scheduled = false;
  if (!image) return;
  const { kernel, stride, beta } = settings();
  ui.betaValue.textContent = beta.toFixed(1);
  ui.softLabel.textContent = `β = ${beta.toFixed(1)}`;
  const [, H, W] = image.shape;
  if (kernel > H || kernel > W) {
    showError(`The kernel (${kernel}) is larger than the image (${W}×${H}).`);
    return;
  }
  ui.error.hidden = true;
  const elements = image.data.length;
  const runs = {
    softpool: () => softPool2d(image, { kernelSize: kernel, stride, beta }),
    maxpool: () => maxPool(image, kernel, stride),
    avgpool: () => softPool2d(image, { kernelSize: kernel, stride, beta: 0 }),
  };
  try {
    for (const [name, fn] of Object.entries(runs)) {
      const { result, ms } = timed(fn);
      draw(ui.canvases[name], result);
      ui.times[name].textContent = `${ms < 1 ? ms.toFixed(3) : ms.toFixed(2)} ms · ${formatRate(elements, ms)}`;
      ui.outSize.textContent = `${result.shape[2]}×${result.shape[1]} (kernel ${kernel}, stride ${stride})`;
    }
  } catch (err) {
    showError(String(err.message ?? err));
    return;
  }
  renders++;
  document.body.dataset.renders = String(renders);
  document.body.dataset.state = 'ready';
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  document.body.dataset.state = 'busy';
  requestAnimationFrame(render);
}

// Drag and drop anywhere on the page.
let dragDepth = 0;
const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
window.addEventListener('dragenter', (e) => { if (hasFiles(e)) { dragDepth++; ui.overlay.hidden = false; } });
window.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; ui.overlay.hidden = true; } });
window.addEventListener('dragover', (e) => { e.preventDefault(); });
window.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  ui.overlay.hidden = true;
  const file = [...(e.dataTransfer?.files ?? [])].find((f) => f.type.startsWith('image/')) ?? e.dataTransfer?.files?.[0];
  if (file) loadImage(file, file.name);
});

ui.file.addEventListener('change', () => {
  const file = ui.file.files?.[0];
  if (file) loadImage(file, file.name);
});
for (const el of [ui.kernel, ui.stride, ui.beta]) el.addEventListener('input', schedule);

const requested = new URLSearchParams(location.search).get('backend') ?? 'auto';
ui.backendChoice.value = ['simd', 'scalar'].includes(requested) ? requested : 'auto';
ui.backendChoice.addEventListener('change', () => {
  const url = new URL(location.href);
  if (ui.backendChoice.value === 'auto') url.searchParams.delete('backend');
  else url.searchParams.set('backend', ui.backendChoice.value);
  location.assign(url);
});

try {
  await init({ backend: ui.backendChoice.value });
  ui.backend.textContent = backend();
  await loadImage(DEFAULT_IMAGE, 'astronaut.png');
} catch (err) {
  ui.backend.textContent = 'not loaded';
  showError(`softpool-wasm could not start: ${err.message ?? err}`);
}
