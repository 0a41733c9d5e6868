// Log-log charts of measured records, drawn with uPlot (bundled from npm).
// One series per method; the legend carries each series' fitted slope;
// vertical reference lines mark values such as B = √log n or a crossover.
// Charts only draw what they are given: no data comes from formulas here.
import uPlot from '../vendor/uPlot.esm.js';
import { fitLogLog, spreadOf, tickLabel } from './fit.js';
import { styleFor, styleKey } from './palette.js';

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

  data() {
    const xs = [...new Set([...this.series.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
    const cols = [xs];
    for (const pts of this.series.values()) cols.push(xs.map((x) => (pts.has(x) ? pts.get(x).y : null)));
    return cols;
  }

  label(name) {
    if (!this.o.fit) return name;
    const f = this.fits().get(name);
    if (!f) return name;
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
    if (this.plot && this.key === key && this.builtWithRange && xs.length > 1) {
      this.plot.setData(this.data());
      // Refresh fitted slopes in the legend.
      const labels = this.plot.root.querySelectorAll('.u-legend .u-series .u-label');
      names.forEach((n, i) => {
        if (labels[i + 1]) labels[i + 1].textContent = this.label(n);
      });
      return;
    }
    this.key = key;
    this.plot?.destroy();
    const fg = cssVar('--fg', '#222');
    const grid = cssVar('--line', '#ddd');
    const axis = (label) => ({ label, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } });
    const xAxis = {
      ...axis(this.o.xLabel),
      // Ticks at the measured x values (powers of two in the sweeps), compactly labelled.
      splits: (u) => u.data[0],
      filter: (u, splits) => splits, // uPlot keeps only 1-2-5 labels on log axes by default
      values: (u, splits) => splits.map((v) => (v == null ? "" : v >= 1024 && v % 1024 === 0 ? `${v / 1024}k` : String(Number(v.toPrecision(3))))),
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
        y: this.o.yRange ? { distr: this.o.logY ? 3 : 1, log: 10, range: () => this.o.yRange } : { distr: this.o.logY ? 3 : 1, log: 10 },
      },
      // y labels: small values as 1e-5, never rounded to "0" (errors reach 1e-7).
      axes: [this.o.logX ? xAxis : axis(this.o.xLabel), { ...axis(this.o.yLabel), values: (u, splits) => splits.map(tickLabel) }],
      series: [
        { label: this.o.xLabel },
        ...names.map((n) => ({
          label: this.label(n),
          stroke: this.color(n),
          dash: this.styles.get(n).dash.map((v) => v * devicePixelRatio),
          width: 2,
          spanGaps: true,
          points: { show: true, size: 7 },
        })),
      ],
      // The legend's marker repeats the series' dash.
      legend: { live: true, markers: { dash: (u, i) => (i === 0 ? 'solid' : lineStyle(this.styles.get(names[i - 1])?.dash)) } },
      cursor: { points: { size: 9 } },
      hooks: {
        draw: [(u) => self.drawRefLines(u)],
        setCursor: [(u) => self.showTooltip(u)],
      },
    };
    this.plot = new uPlot(opts, this.data(), this.el);
    this.builtWithRange = xs.length > 1;
    this.el.chart = this;
    this.plot.root.append(this.tooltip);
  }

  /** A series' colour (the method's, web/app/palette.js), 'fg' as the theme's text colour. */
  color(name) {
    const c = this.styles.get(name)?.color ?? 'fg';
    return c === 'fg' ? cssVar('--fg', '#222') : c;
  }

  drawRefLines(u) {
    const ctx = u.ctx;
    ctx.save();
    this.refLines.forEach((line, k) => {
      const px = u.valToPos(line.x, 'x', true);
      if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) return;
      ctx.strokeStyle = line.color || cssVar('--muted', '#666');
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(px, u.bbox.top);
      ctx.lineTo(px, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
      ctx.textBaseline = 'alphabetic';
      // Right of the line unless that would leave the plot; one row per line,
      // so labels of nearby lines do not overprint.
      const pad = 4 * devicePixelRatio;
      const right = px + pad + ctx.measureText(line.label).width <= u.bbox.left + u.bbox.width;
      ctx.textAlign = right ? 'left' : 'right';
      ctx.fillText(line.label, right ? px + pad : px - pad, u.bbox.top + (14 + 16 * k) * devicePixelRatio);
    });
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
    if (this.plot) this.plot.setSize({ width: this.plot.width, height });
  }

  /** The chart (canvas with axes, series and reference lines) as a PNG data URL. */
  toPNG() {
    return this.plot ? this.plot.ctx.canvas.toDataURL('image/png') : null;
  }
}
