// SoftPool forward and backward in plain C: the native peer of bench/run.mjs.
//
// Single-threaded, float32, stable (each window's largest beta*x is subtracted before expf),
// windows clipped to the input (padded positions are not part of a window), PyTorch floor-mode
// output size. Spatial dims are always D, H, W: 2D runs with D = 1, 1D with D = H = 1.
//   channels first: x [N, C, D, H, W]; channels last: x [N, D, H, W, C].
// No intrinsics: the loops are written so that gcc -O3 can vectorize them (innermost loops run
// over output columns, or over channels for channels last, with restrict pointers). With
// -ffast-math glibc's vector expf (libmvec) is used; without it expf is a scalar call.
//
// The program times itself, so Node does not need a native addon:
//   softpool <fwd|fwdbwd> <cf|cl> N C D H W kD kH kW sD sH sW pD pH pW beta runs warmup dir
// reads dir/x.bin (and dir/g.bin for fwdbwd; float32 in host byte order, the layout above), runs
// `warmup` untimed and `runs` timed calls, writes the last call's dir/y.bin (and dir/gx.bin) and
// prints {"samplesMs":[...],"gradBeta":...} on stdout. Only the kernels are timed: the data is
// in memory and the outputs are allocated (and touched by the warm-up) beforehand.

#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  long N, C, D, H, W, OD, OH, OW;
  int k[3], s[3], p[3]; // per spatial dim: D, H, W
  float beta;
} Geo;

// The input range [lo, hi) of output index o along one dim, clipped to [0, size).
static void window(long o, int k, int s, int p, long size, long *lo, long *hi) {
  long a = o * s - p, b = a + k;
  *lo = a < 0 ? 0 : a;
  *hi = b > size ? size : b;
}

// ---- channels first: per output row, row buffers indexed by output column o.
// Tap k of column o reads input column o*S + k - p of each of the window's input rows. Columns
// [oa, ob) have every tap inside the row: their loops run over o with the taps unrolled inside
// (KW and S are compile-time constants for the common windows, see DISPATCH), so gcc vectorizes
// them with contiguous, interleaved loads. The few edge columns of padded rows use per-tap loops
// clipped to the row.

#define INLINE static inline __attribute__((always_inline))

typedef struct {
  long *lo, *hi; // per tap k: the columns o whose tap k lies inside the row
  long oa, ob;   // the columns all of whose taps do (empty: oa = ob = 0)
} Cols;

static void tap_columns(const Geo *g, Cols *c) {
  const long S = g->s[2], p = g->p[2];
  c->oa = 0;
  c->ob = g->OW;
  for (int k = 0; k < g->k[2]; k++) {
    long first = p - k, last = g->W - 1 + p - k; // first <= o*S <= last
    long lo = first <= 0 ? 0 : (first + S - 1) / S, hi = last < 0 ? 0 : last / S + 1;
    c->hi[k] = hi < g->OW ? hi : g->OW;
    c->lo[k] = lo < c->hi[k] ? lo : c->hi[k];
    if (c->lo[k] > c->oa) c->oa = c->lo[k];
    if (c->hi[k] < c->ob) c->ob = c->hi[k];
  }
  if (c->oa >= c->ob) c->oa = c->ob = 0;
}

// m[o] = max(m[o], beta*x) over the taps of one input row r.
INLINE void row_max(const float *restrict r, const Cols *c, int KW, int S, int p, float beta, float *restrict m) {
  for (long o = c->oa; o < c->ob; o++) {
    float t = m[o];
    for (int k = 0; k < KW; k++) { float v = beta * r[o * S + k - p]; t = v > t ? v : t; }
    m[o] = t;
  }
  for (int k = 0; k < KW; k++) {
    for (long o = c->lo[k]; o < c->oa; o++) { float v = beta * r[o * S + k - p]; m[o] = v > m[o] ? v : m[o]; }
    for (long o = c->ob > c->lo[k] ? c->ob : c->lo[k]; o < c->hi[k]; o++) { float v = beta * r[o * S + k - p]; m[o] = v > m[o] ? v : m[o]; }
  }
}

// se[o] += e, sex[o] += e*x with e = expf(beta*x - m[o]), over the taps of one input row r.
INLINE void row_exp(const float *restrict r, const Cols *c, int KW, int S, int p, float beta,
                    const float *restrict m, float *restrict se, float *restrict sex) {
  for (long o = c->oa; o < c->ob; o++) {
    float a = 0, b = 0;
    for (int k = 0; k < KW; k++) { float v = r[o * S + k - p], e = expf(beta * v - m[o]); a += e; b += e * v; }
    se[o] += a;
    sex[o] += b;
  }
  for (int k = 0; k < KW; k++) {
    for (long o = c->lo[k]; o < c->oa; o++) { float v = r[o * S + k - p], e = expf(beta * v - m[o]); se[o] += e; sex[o] += e * v; }
    for (long o = c->ob > c->lo[k] ? c->ob : c->lo[k]; o < c->hi[k]; o++) { float v = r[o * S + k - p], e = expf(beta * v - m[o]); se[o] += e; sex[o] += e * v; }
  }
}

// gx[i] += gw * (1 + beta*(x_i - y)) and gb[o] += gw * x_i * (x_i - y), gw = g * w_i = gs[o] *
// expf(beta*x_i - m[o]) (gs = g/se), over the taps of one input row r.
INLINE void grad_tap(const float *restrict r, float *restrict gx, long o, int k, int S, int p, float beta,
                     const float *restrict m, const float *restrict gs, const float *restrict y, float *restrict gb) {
  long i = o * S + k - p;
  float v = r[i], dv = v - y[o], gw = expf(beta * v - m[o]) * gs[o];
  gx[i] += gw * (1 + beta * dv);
  gb[o] += gw * v * dv;
}

INLINE void row_grad(const float *restrict r, float *restrict gx, const Cols *c, int KW, int S, int p, float beta,
                     const float *restrict m, const float *restrict gs, const float *restrict y, float *restrict gb) {
  if (S >= KW) { // windows side by side: column o's taps write gx elements no other column does
    for (long o = c->oa; o < c->ob; o++)
      for (int k = 0; k < KW; k++) grad_tap(r, gx, o, k, S, p, beta, m, gs, y, gb);
    for (int k = 0; k < KW; k++) {
      for (long o = c->lo[k]; o < c->oa; o++) grad_tap(r, gx, o, k, S, p, beta, m, gs, y, gb);
      for (long o = c->ob > c->lo[k] ? c->ob : c->lo[k]; o < c->hi[k]; o++) grad_tap(r, gx, o, k, S, p, beta, m, gs, y, gb);
    }
  } else { // overlapping windows: one tap at a time, so one loop never writes an element twice
    for (int k = 0; k < KW; k++)
      for (long o = c->lo[k]; o < c->hi[k]; o++) grad_tap(r, gx, o, k, S, p, beta, m, gs, y, gb);
  }
}

// Per output column of one output row: the pivot m (max of beta*x), sum of e and of e*x, where
// e = expf(beta*x - m). xp is the (n, c) volume, [d0, d1) x [h0, h1) the window's input rows.
INLINE void row_sums(const Geo *g, const Cols *c, int KW, int S, const float *restrict xp,
                     long d0, long d1, long h0, long h1, float *restrict m, float *restrict se, float *restrict sex) {
  for (long o = 0; o < g->OW; o++) { m[o] = -INFINITY; se[o] = 0; sex[o] = 0; }
  for (long d = d0; d < d1; d++)
    for (long h = h0; h < h1; h++) row_max(xp + (d * g->H + h) * g->W, c, KW, S, g->p[2], g->beta, m);
  for (long d = d0; d < d1; d++)
    for (long h = h0; h < h1; h++) row_exp(xp + (d * g->H + h) * g->W, c, KW, S, g->p[2], g->beta, m, se, sex);
}

INLINE void forward_cf_k(const Geo *g, const Cols *c, int KW, int S, const float *restrict x,
                         float *restrict y, float *restrict scratch) {
  const long OW = g->OW;
  float *restrict m = scratch, *restrict se = scratch + OW, *restrict sex = scratch + 2 * OW;
  for (long nc = 0; nc < g->N * g->C; nc++) {
    const float *xp = x + nc * g->D * g->H * g->W;
    float *yp = y + nc * g->OD * g->OH * OW;
    for (long od = 0; od < g->OD; od++) {
      long d0, d1;
      window(od, g->k[0], g->s[0], g->p[0], g->D, &d0, &d1);
      for (long oh = 0; oh < g->OH; oh++) {
        long h0, h1;
        window(oh, g->k[1], g->s[1], g->p[1], g->H, &h0, &h1);
        row_sums(g, c, KW, S, xp, d0, d1, h0, h1, m, se, sex);
        float *restrict yr = yp + (od * g->OH + oh) * OW;
        for (long o = 0; o < OW; o++) yr[o] = sex[o] / se[o];
      }
    }
  }
}

// gradInput += g * w_i * (1 + beta*(x_i - y)) over every window containing i;
// gradBeta = sum over windows of g * sum_i w_i * x_i * (x_i - y). Recomputes the weights.
INLINE double backward_cf_k(const Geo *g, const Cols *c, int KW, int S, const float *restrict x,
                            const float *restrict gy, float *restrict gx, float *restrict scratch) {
  const long OW = g->OW, H = g->H, W = g->W;
  float *restrict m = scratch, *restrict se = scratch + OW, *restrict sex = scratch + 2 * OW;
  float *restrict yv = scratch + 3 * OW, *restrict gb = scratch + 4 * OW;
  double gradBeta = 0;
  memset(gx, 0, sizeof(float) * g->N * g->C * g->D * H * W);
  for (long nc = 0; nc < g->N * g->C; nc++) {
    const float *xp = x + nc * g->D * H * W;
    float *gxp = gx + nc * g->D * H * W;
    const float *gp = gy + nc * g->OD * g->OH * OW;
    for (long od = 0; od < g->OD; od++) {
      long d0, d1;
      window(od, g->k[0], g->s[0], g->p[0], g->D, &d0, &d1);
      for (long oh = 0; oh < g->OH; oh++) {
        long h0, h1;
        window(oh, g->k[1], g->s[1], g->p[1], H, &h0, &h1);
        row_sums(g, c, KW, S, xp, d0, d1, h0, h1, m, se, sex);
        const float *restrict gr = gp + (od * g->OH + oh) * OW;
        // se becomes g/se: the factor every weight of the window is multiplied by
        for (long o = 0; o < OW; o++) { yv[o] = sex[o] / se[o]; se[o] = gr[o] / se[o]; gb[o] = 0; }
        for (long d = d0; d < d1; d++)
          for (long h = h0; h < h1; h++)
            row_grad(xp + (d * H + h) * W, gxp + (d * H + h) * W, c, KW, S, g->p[2], g->beta, m, se, yv, gb);
        double rowSum = 0; // double across rows: there are ~1e6 windows
        for (long o = 0; o < OW; o++) rowSum += gb[o];
        gradBeta += rowSum;
      }
    }
  }
  return gradBeta;
}

// The common window widths and strides as compile-time constants (so the taps unroll and the
// loads are contiguous); any other goes through the same code with run-time values.
#define DISPATCH(call, kW, sW)                                  \
  switch ((kW) * 16 + (sW)) {                                   \
  case 1 * 16 + 1: call(1, 1); break;                           \
  case 2 * 16 + 1: call(2, 1); break;                           \
  case 2 * 16 + 2: call(2, 2); break;                           \
  case 3 * 16 + 1: call(3, 1); break;                           \
  case 3 * 16 + 2: call(3, 2); break;                           \
  case 3 * 16 + 3: call(3, 3); break;                           \
  default: call(kW, sW);                                        \
  }

static void forward_cf(const Geo *g, const Cols *c, const float *restrict x, float *restrict y, float *restrict scratch) {
#define FWD(KW, S) forward_cf_k(g, c, KW, S, x, y, scratch)
  DISPATCH(FWD, g->k[2], g->s[2])
#undef FWD
}

static double backward_cf(const Geo *g, const Cols *c, const float *restrict x, const float *restrict gy,
                          float *restrict gx, float *restrict scratch) {
  double gradBeta = 0;
#define BWD(KW, S) gradBeta = backward_cf_k(g, c, KW, S, x, gy, gx, scratch)
  DISPATCH(BWD, g->k[2], g->s[2])
#undef BWD
  return gradBeta;
}

// ---- channels last: per output position, loops over the window with the channels inside.

static void window_sums_cl(const Geo *g, const float *restrict xn, long d0, long d1, long h0, long h1,
                           long w0, long w1, float *restrict m, float *restrict se, float *restrict sex) {
  const long C = g->C, H = g->H, W = g->W;
  const float beta = g->beta;
  for (long c = 0; c < C; c++) { m[c] = -INFINITY; se[c] = 0; sex[c] = 0; }
  for (long d = d0; d < d1; d++)
    for (long h = h0; h < h1; h++)
      for (long w = w0; w < w1; w++) {
        const float *restrict e = xn + ((d * H + h) * W + w) * C;
        for (long c = 0; c < C; c++) { float t = beta * e[c]; m[c] = t > m[c] ? t : m[c]; }
      }
  for (long d = d0; d < d1; d++)
    for (long h = h0; h < h1; h++)
      for (long w = w0; w < w1; w++) {
        const float *restrict e = xn + ((d * H + h) * W + w) * C;
        for (long c = 0; c < C; c++) {
          float v = e[c], ex = expf(beta * v - m[c]);
          se[c] += ex;
          sex[c] += ex * v;
        }
      }
}

// The window of output position (od, oh, ow) of a channels-last batch item, and the offset of
// its output vector. Output positions are visited in memory order.
typedef struct { long d0, d1, h0, h1, w0, w1, out; } Win;

static Win window_cl(const Geo *g, long od, long oh, long ow) {
  Win win;
  window(od, g->k[0], g->s[0], g->p[0], g->D, &win.d0, &win.d1);
  window(oh, g->k[1], g->s[1], g->p[1], g->H, &win.h0, &win.h1);
  window(ow, g->k[2], g->s[2], g->p[2], g->W, &win.w0, &win.w1);
  win.out = ((od * g->OH + oh) * g->OW + ow) * g->C;
  return win;
}

static void forward_cl(const Geo *g, const float *restrict x, float *restrict y, float *restrict scratch) {
  const long C = g->C;
  float *restrict m = scratch, *restrict se = scratch + C, *restrict sex = scratch + 2 * C;
  for (long n = 0; n < g->N; n++) {
    const float *xn = x + n * g->D * g->H * g->W * C;
    float *yn = y + n * g->OD * g->OH * g->OW * C;
    for (long od = 0; od < g->OD; od++)
      for (long oh = 0; oh < g->OH; oh++)
        for (long ow = 0; ow < g->OW; ow++) {
          Win win = window_cl(g, od, oh, ow);
          window_sums_cl(g, xn, win.d0, win.d1, win.h0, win.h1, win.w0, win.w1, m, se, sex);
          float *restrict yo = yn + win.out;
          for (long c = 0; c < C; c++) yo[c] = sex[c] / se[c];
        }
  }
}

static double backward_cl(const Geo *g, const float *restrict x, const float *restrict gy,
                          float *restrict gx, float *restrict scratch) {
  const long C = g->C, H = g->H, W = g->W;
  const float beta = g->beta;
  float *restrict m = scratch, *restrict se = scratch + C, *restrict sex = scratch + 2 * C;
  float *restrict yv = scratch + 3 * C, *restrict gb = scratch + 4 * C;
  double gradBeta = 0;
  memset(gx, 0, sizeof(float) * g->N * g->D * H * W * C);
  for (long n = 0; n < g->N; n++) {
    const float *xn = x + n * g->D * H * W * C;
    float *gxn = gx + n * g->D * H * W * C;
    const float *gn = gy + n * g->OD * g->OH * g->OW * C;
    for (long od = 0; od < g->OD; od++)
      for (long oh = 0; oh < g->OH; oh++)
        for (long ow = 0; ow < g->OW; ow++) {
          Win win = window_cl(g, od, oh, ow);
          window_sums_cl(g, xn, win.d0, win.d1, win.h0, win.h1, win.w0, win.w1, m, se, sex);
          const float *restrict go = gn + win.out;
          for (long c = 0; c < C; c++) { yv[c] = sex[c] / se[c]; se[c] = go[c] / se[c]; gb[c] = 0; }
          for (long d = win.d0; d < win.d1; d++)
            for (long h = win.h0; h < win.h1; h++)
              for (long w = win.w0; w < win.w1; w++) {
                long at = ((d * H + h) * W + w) * C;
                const float *restrict e = xn + at;
                float *restrict ge = gxn + at;
                for (long c = 0; c < C; c++) {
                  float v = e[c], dv = v - yv[c];
                  float gw = expf(beta * v - m[c]) * se[c]; // g * w_i
                  ge[c] += gw * (1 + beta * dv);
                  gb[c] += gw * v * dv;
                }
              }
          double s = 0;
          for (long c = 0; c < C; c++) s += gb[c];
          gradBeta += s;
        }
  }
  return gradBeta;
}

// ---- driver

static float *read_floats(const char *dir, const char *name, long count) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  float *a = malloc(sizeof(float) * count);
  if (!a || fread(a, sizeof(float), count, f) != (size_t)count || fgetc(f) != EOF) {
    fprintf(stderr, "%s: expected exactly %ld float32 values\n", path, count);
    exit(1);
  }
  fclose(f);
  return a;
}

static void write_floats(const char *dir, const char *name, const float *a, long count) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(a, sizeof(float), count, f) != (size_t)count || fclose(f) != 0) { perror(path); exit(1); }
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

int main(int argc, char **argv) {
  if (argc != 21) {
    fprintf(stderr, "usage: %s <fwd|fwdbwd> <cf|cl> N C D H W kD kH kW sD sH sW pD pH pW beta runs warmup dir\n", argv[0]);
    return 2;
  }
  const int withBackward = strcmp(argv[1], "fwdbwd") == 0, channelsLast = strcmp(argv[2], "cl") == 0;
  Geo g;
  long *dims[5] = {&g.N, &g.C, &g.D, &g.H, &g.W};
  for (int i = 0; i < 5; i++) *dims[i] = atol(argv[3 + i]);
  for (int i = 0; i < 3; i++) { g.k[i] = atoi(argv[8 + i]); g.s[i] = atoi(argv[11 + i]); g.p[i] = atoi(argv[14 + i]); }
  g.beta = strtof(argv[17], NULL);
  const int runs = atoi(argv[18]), warmup = atoi(argv[19]);
  const char *dir = argv[20];
  long *outs[3] = {&g.OD, &g.OH, &g.OW}, ins[3] = {g.D, g.H, g.W};
  for (int i = 0; i < 3; i++) {
    if (g.k[i] < 1 || g.s[i] < 1 || g.p[i] < 0 || ins[i] + 2 * g.p[i] < g.k[i]) { fprintf(stderr, "bad geometry in dim %d\n", i); return 2; }
    *outs[i] = (ins[i] + 2 * g.p[i] - g.k[i]) / g.s[i] + 1;
  }
  const long nx = g.N * g.C * g.D * g.H * g.W, ny = g.N * g.C * g.OD * g.OH * g.OW;

  float *x = read_floats(dir, "x.bin", nx);
  float *gy = withBackward ? read_floats(dir, "g.bin", ny) : NULL;
  float *y = malloc(sizeof(float) * ny), *gx = withBackward ? malloc(sizeof(float) * nx) : NULL;
  long width = channelsLast ? g.C : g.OW;
  float *scratch = malloc(sizeof(float) * 5 * width);
  Cols cols = {malloc(sizeof(long) * g.k[2]), malloc(sizeof(long) * g.k[2]), 0, 0};
  double *samples = malloc(sizeof(double) * (runs > 0 ? runs : 1));
  if (!y || (withBackward && !gx) || !scratch || !cols.lo || !cols.hi || !samples) { fprintf(stderr, "out of memory\n"); return 1; }
  tap_columns(&g, &cols);

  double gradBeta = 0;
  for (int i = -warmup; i < runs; i++) {
    double t0 = now_ms();
    if (channelsLast) forward_cl(&g, x, y, scratch); else forward_cf(&g, &cols, x, y, scratch);
    if (withBackward) gradBeta = channelsLast ? backward_cl(&g, x, gy, gx, scratch) : backward_cf(&g, &cols, x, gy, gx, scratch);
    double t1 = now_ms();
    if (i >= 0) samples[i] = t1 - t0;
  }

  write_floats(dir, "y.bin", y, ny);
  if (withBackward) write_floats(dir, "gx.bin", gx, nx);
  printf("{\"samplesMs\":[");
  for (int i = 0; i < runs; i++) printf("%s%.6f", i ? "," : "", samples[i]);
  printf("],\"gradBeta\":%.17g}\n", gradBeta);
  return 0;
}
