// Log-log charts of measured records, drawn with uPlot (bundled from npm).
// One series per method; the legend carries each series' fitted slope;
// vertical reference lines mark values such as B = √log n or a crossover.
// Charts only draw what they are given: no data comes from formulas here.
import uPlot from '../vendor/uPlot.esm.js';
import { fitLogLog, spreadOf, tickLabel, logTicks } from './fit.js';
import { styleFor, styleKey } from './palette.js';

// Height of the x axis: one line of tick labels and the ticks.
function xAxisSize(px, tick) {
  return Math.ceil(px * 1.3) + tick + 6;
}

// A canvas dash as a CSS border style (for the legend's markers).
function lineStyle(dash = []) {
  if (!dash.length) return 'solid';
  return dash[0] <= 2 ? 'dotted' : 'dashed';
}

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export class LogLogChart {
  /**
   * @param {HTMLElement} el container
   * @param {object} o { xLabel, yLabel, logX = true, logY = true, fit = true, height = 320 }
   */
  constructor(el, o) {
    this.el = el;
    this.o = { logX: true, logY: true, fit: true, height: 320, ...o };
    this.series = new Map(); // name → Map(x → { y, record })
    this.styles = new Map(); // name → { color, dash }: the method's, from ./palette.js
    this.refLines = [];
    this.plot = null;
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'chart-tooltip';
    this.tooltip.hidden = true;
    el.classList.add('chart');
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(el);
  }

  clear() {
    this.series.clear();
    this.styles.clear();
    this.refLines = [];
    this.rebuild();
  }

  /** Adds one measured point; the record is kept for the tooltip. */
  add(name, x, y, record) {
    if (!this.series.has(name)) {
      this.series.set(name, new Map());
      const taken = new Set([...this.styles.values()].map(styleKey));
      this.styles.set(name, styleFor(record?.method ?? name, taken));
    }
    this.series.get(name).set(x, { y, record });
    this.rebuild();
  }

  setRefLines(lines) {
    this.refLines = lines.filter((l) => Number.isFinite(l.x) && l.x > 0);
    this.plot?.redraw();
  }

  /**
   * Fitted log-log line per series over its `fitLast` largest x values (the
   * asymptotic regime; small sizes carry fixed costs), or all when fitLast = 0.
   */
  fits() {
    const out = new Map();
    for (const [name, pts] of this.series) {
      const sorted = [...pts].sort((a, b) => a[0] - b[0]).map(([x, p]) => [x, p.y]);
      const k = this.o.fitLast || sorted.length;
      out.set(name, fitLogLog(sorted.slice(-k)));
    }
    return out;
  }

  /** Before any point: the x values to lay the empty axes out on (e.g. the sweep's range). */
  setXHint(xs) {
    this.xHint = (xs || []).filter((x) => Number.isFinite(x) && x > 0);
    if (!this.series.size) this.rebuild();
  }

  data() {
    const xs = [...new Set([...this.series.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
    if (!xs.length) return [this.xHint?.length ? this.xHint : []];
    const cols = [xs];
    for (const pts of this.series.values()) cols.push(xs.map((x) => (pts.has(x) ? pts.get(x).y : null)));
    return cols;
  }

  /** The chart's text size in CSS px: three quarters of the page's (which fontscale and, embedded, the slide size set). */
  fontPx() {
    if (this.o.fontPx) return this.o.fontPx;
    const root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    return Math.max(11, Math.round(0.75 * root * 10) / 10);
  }

  label(name) {
    if (!this.o.fit) return name;
    const f = this.fits().get(name);
    if (!f) return name;
    if (this.o.embed) return `${name} (slope ${f.slope.toFixed(2)})`; // a slide's legend stays one line
    const ci = f.ci95 ? ` ± ${((f.ci95[1] - f.ci95[0]) / 2).toFixed(2)}` : '';
    return `${name} (slope ${f.slope.toFixed(2)}${ci}, r² ${f.r2.toFixed(3)})`;
  }

  rebuild() {
    const names = [...this.series.keys()];
    const key = names.join('\u0000');
    const width = Math.max(280, this.el.clientWidth || 600);
    // setData() on a log scale keeps a degenerate range from a one-point start,
    // so the plot is rebuilt until it has two distinct x values.
    const xs = this.data()[0];
    if (this.plot && this.key === key && this.builtWithRange && xs.length > 1 && names.length) {
      this.plot.setData(this.data());
      // Refresh fitted slopes in the legend.
      // (A live legend has a row for x first; a static one does not.)
      const labels = this.plot.root.querySelectorAll('.u-legend .u-series .u-label');
      const offset = labels.length - names.length;
      names.forEach((n, i) => {
        if (labels[i + offset]) labels[i + offset].textContent = this.label(n);
      });
      return;
    }
    this.key = key;
    this.plot?.destroy();
    const empty = !names.length;
    const px = this.fontPx();
    const font = `${px}px system-ui, sans-serif`;
    const labelFont = `600 ${px}px system-ui, sans-serif`;
    const fg = cssVar('--fg', '#222');
    const grid = cssVar('--line', '#ddd');
    const minorGrid = cssVar('--line-minor', grid);
    const tick = Math.round(px / 2);
    // Room for the widest tick label (y) or one line of them (x), at this font size.
    const measure = document.createElement('canvas').getContext('2d');
    measure.font = font;
    const ySize = (u, values) => Math.ceil(Math.max(px, ...(values || []).map((v) => measure.measureText(String(v ?? '')).width)) + tick + 8);
    const axis = (label) => ({
      label, stroke: fg, font, labelFont, labelSize: Math.ceil(px * 1.4) + 2, gap: 4,
      grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, size: tick },
    });
    // A y title longer than the plot is tall gets a smaller font, then an ellipsis.
    measure.font = labelFont;
    const room = Math.max(40, this.o.height - xAxisSize(px, tick) - (Math.ceil(px * 1.4) + 2) - 16);
    let yTitle = this.o.yLabel;
    let yPx = px;
    const titleWidth = (t, size) => {
      measure.font = `600 ${size}px system-ui, sans-serif`;
      return measure.measureText(t).width;
    };
    if (titleWidth(yTitle, yPx) > room) yPx = Math.max(Math.round(px * 0.8), Math.floor((px * room) / titleWidth(yTitle, px)));
    while (yTitle.length > 4 && titleWidth(yTitle, yPx) > room) yTitle = `${yTitle.slice(0, -2).trimEnd()}…`;
    measure.font = font;
    const xAxis = {
      ...axis(this.o.xLabel),
      size: xAxisSize(px, tick),
      // Ticks at the measured x values (powers of two in the sweeps), compactly labelled.
      splits: (u) => u.data[0],
      filter: (u, splits) => splits, // uPlot keeps only 1-2-5 labels on log axes by default
      values: (u, splits) => splits.map((v) => (v == null ? '' : v >= 1024 && v % 1024 === 0 ? `${v / 1024}k` : String(Number(v.toPrecision(3))))),
    };
    const yAxis = {
      ...axis(yTitle),
      labelFont: `600 ${yPx}px system-ui, sans-serif`,
      size: ySize,
      // Before any point the y axis has no numbers to show.
      values: (u, splits) => splits.map((v) => (empty ? '' : tickLabel(v))),
      // Log axes: labels at powers of ten only (2× and 5× when under two decades).
      ...(this.o.logY ? { splits: (u, i, min, max) => logTicks(min, max).major } : {}),
    };
    // Lighter, unlabelled lines at 2× and 5× between the powers of ten.
    const minorAxis = {
      scale: 'y', side: 3, size: 0, gap: 0, font, stroke: fg,
      grid: { stroke: minorGrid, width: 1 }, ticks: { show: false },
      splits: (u, i, min, max) => logTicks(min, max).minor,
      values: (u, splits) => splits.map(() => ''),
    };
    const logY = this.o.logY;
    const yRange = (u, min, max) => {
      if (empty || !(max >= min)) return this.o.yRange ?? (logY ? [1, 100] : [0, 1]);
      if (this.o.yRange) return this.o.yRange;
      return logY ? uPlot.rangeLog(min, max, 10, true) : uPlot.rangeNum(min, max, 0.1, true);
    };
    const self = this;
    const opts = {
      width,
      height: this.o.height,
      scales: {
        // An explicit range: uPlot leaves a log-distributed x scale unset otherwise.
        x: {
          time: false,
          distr: this.o.logX ? 3 : 1,
          log: 10,
          range: (u) => this.xRange(u.data[0]),
        },
        y: { distr: logY ? 3 : 1, log: 10, range: yRange },
      },
      axes: [this.o.logX ? xAxis : { ...axis(this.o.xLabel), size: xAxis.size }, yAxis, ...(logY ? [minorAxis] : [])],
      series: [
        { label: this.o.xLabel },
        ...names.map((n) => ({
          label: this.label(n),
          stroke: this.color(n),
          dash: this.styles.get(n).dash.map((v) => v * devicePixelRatio),
          width: 2,
          spanGaps: true,
          points: { show: true, size: Math.max(7, Math.round(px * 0.6)) },
        })),
      ],
      // The legend's marker repeats the series' dash.
      legend: { show: !empty, live: !this.o.embed, markers: { dash: (u, i) => (i === 0 ? 'solid' : lineStyle(this.styles.get(names[i - 1])?.dash)) } },
      cursor: { points: { size: 9 } },
      hooks: {
        draw: [(u) => self.drawRefLines(u)],
        setCursor: [(u) => self.showTooltip(u)],
      },
    };
    this.plot = new uPlot(opts, this.data(), this.el);
    this.builtWithRange = xs.length > 1;
    this.el.chart = this;
    this.el.dataset.empty = String(empty);
    this.plot.root.append(this.tooltip);
  }

  /** A series' colour (the method's, web/app/palette.js), 'fg' as the theme's text colour. */
  color(name) {
    const c = this.styles.get(name)?.color ?? 'fg';
    return c === 'fg' ? cssVar('--fg', '#222') : c;
  }

  // Each label goes in the first row (from the top) where it covers no data
  // point and no other label, right of its line if it fits there, else left.
  drawRefLines(u) {
    const ctx = u.ctx;
    const dpr = devicePixelRatio;
    const px = this.fontPx();
    ctx.save();
    const points = [];
    for (let s = 1; s < u.series.length; s++) {
      u.data[s]?.forEach((y, i) => {
        if (y != null) points.push([u.valToPos(u.data[0][i], 'x', true), u.valToPos(y, 'y', true)]);
      });
    }
    const placed = [];
    const rowH = (px + 4) * dpr;
    const rows = Math.max(1, Math.floor(u.bbox.height / rowH));
    const pad = 4 * dpr;
    const clear = (b) => !points.some(([x, y]) => x >= b.x0 - pad && x <= b.x1 + pad && y >= b.y0 - pad && y <= b.y1 + pad) &&
      !placed.some((p) => b.x0 < p.x1 && b.x1 > p.x0 && b.y0 < p.y1 && b.y1 > p.y0);
    this.refLabels = [];
    this.refLines.forEach((line, k) => {
      const px0 = u.valToPos(line.x, 'x', true);
      if (px0 < u.bbox.left || px0 > u.bbox.left + u.bbox.width) return;
      ctx.strokeStyle = line.color || cssVar('--muted', '#666');
      ctx.setLineDash([4 * dpr, 4 * dpr]);
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath();
      ctx.moveTo(px0, u.bbox.top);
      ctx.lineTo(px0, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = `${px * dpr}px system-ui, sans-serif`;
      ctx.textBaseline = 'alphabetic';
      const w = ctx.measureText(line.label).width;
      const sides = [];
      if (px0 + pad + w <= u.bbox.left + u.bbox.width) sides.push('right');
      if (px0 - pad - w >= u.bbox.left) sides.push('left');
      if (!sides.length) sides.push('right');
      let box = null;
      for (let r = 0; r < rows && !box; r++) {
        for (const side of sides) {
          const base = u.bbox.top + (r + 1) * rowH - 2 * dpr;
          const x0 = side === 'right' ? px0 + pad : px0 - pad - w;
          const b = { x0, x1: x0 + w, y0: base - px * dpr, y1: base + 2 * dpr, base, side };
          if (clear(b)) { box = b; break; }
        }
      }
      if (!box) {
        const base = u.bbox.top + ((k % rows) + 1) * rowH - 2 * dpr;
        const x0 = sides[0] === 'right' ? px0 + pad : px0 - pad - w;
        box = { x0, x1: x0 + w, y0: base - px * dpr, y1: base + 2 * dpr, base, side: sides[0] };
      }
      placed.push(box);
      this.refLabels.push({ label: line.label, box: Object.fromEntries(['x0', 'x1', 'y0', 'y1'].map((q) => [q, box[q] / dpr])) });
      ctx.textAlign = 'left';
      ctx.fillText(line.label, box.x0, box.base);
    });
    this.refPoints = points.map(([x, y]) => [x / dpr, y / dpr]);
    ctx.restore();
  }

  showTooltip(u) {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined) {
      this.tooltip.hidden = true;
      return;
    }
    const x = u.data[0][idx];
    const lines = [];
    for (const [name, pts] of this.series) {
      const p = pts.get(x);
      if (!p) continue;
      const r = p.record || {};
      // rank / pieces: the polynomial methods' size beside their time (C(d+g, g), C(|S|+g, g)).
      const keys = ['median_ms', 'gflops', 'error', 'rank', 'pieces', 'threads', 'flavour'].filter((k) => k in r);
      let line = `${name}: ${keys.map((k) => `${k}=${typeof r[k] === 'number' ? Number(r[k].toPrecision(3)) : r[k]}`).join(' ')}`;
      // The spread of the repetitions behind a median: quartiles and extremes.
      const s = spreadOf(r);
      const g = (v) => Number(v.toPrecision(3));
      if (s.min !== null && s.max !== null) {
        line += s.q1 !== null && s.q3 !== null
          ? ` (IQR ${g(s.q1)}–${g(s.q3)}, range ${g(s.min)}–${g(s.max)} ms${r.reps ? `, ${r.reps} reps` : ''})`
          : ` (range ${g(s.min)}–${g(s.max)} ms)`;
      }
      lines.push(line);
    }
    if (!lines.length) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.textContent = `${this.o.xLabel} = ${x}\n${lines.join('\n')}`;
    this.tooltip.hidden = false;
    const left = Math.min(u.cursor.left + 16, u.bbox.width / devicePixelRatio - 220);
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${u.cursor.top + 16}px`;
  }

  xRange(xs) {
    const vals = (xs || []).filter((x) => Number.isFinite(x) && (!this.o.logX || x > 0));
    if (!vals.length) return [1, 10];
    const min = Math.min(...vals);
    const max = Math.max(...vals);
    if (this.o.logX) return [min / 1.25, max * 1.25];
    return min === max ? [min - 1, max + 1] : [min, max];
  }

  resize() {
    if (!this.plot) return;
    const width = Math.max(280, this.el.clientWidth);
    if (Math.abs(width - this.plot.width) > 2) this.plot.setSize({ width, height: this.o.height });
  }

  /** Changes the plot's height (embed mode fits the slide). */
  setHeight(height) {
    this.o.height = height;
    this.key = undefined; // rebuilt: the y title is fitted to the height
    if (this.plot) this.rebuild();
  }

  /** The chart (canvas with axes, series and reference lines) as a PNG data URL. */
  toPNG() {
    return this.plot ? this.plot.ctx.canvas.toDataURL('image/png') : null;
  }
}
