// Small SVG charts, no library: line charts of series against step, and grouped bars.
const svgNs = 'http://www.w3.org/2000/svg';
const size = { width: 420, height: 220, left: 44, right: 12, top: 10, bottom: 28 };

function element(name, attributes = {}, text) {
  const node = document.createElementNS(svgNs, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map(m => m * magnitude).find(m => m >= value);
}

const format = value => Math.abs(value) >= 1000 ? value.toLocaleString('en') : String(+value.toFixed(3));

function frame(svg, xMax, yMax, xLabels) {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${size.width} ${size.height}`);
  const plotWidth = size.width - size.left - size.right;
  const plotHeight = size.height - size.top - size.bottom;
  const x = value => size.left + (value / xMax) * plotWidth;
  const y = value => size.top + plotHeight - (value / yMax) * plotHeight;
  for (let i = 0; i <= 4; i++) {
    const value = (yMax * i) / 4;
    svg.append(element('line', { class: 'grid', x1: size.left, x2: size.width - size.right, y1: y(value), y2: y(value) }));
    svg.append(element('text', { x: size.left - 4, y: y(value) + 3, 'text-anchor': 'end' }, format(value)));
  }
  svg.append(element('line', { class: 'axis', x1: size.left, x2: size.left, y1: size.top, y2: y(0) }));
  svg.append(element('line', { class: 'axis', x1: size.left, x2: size.width - size.right, y1: y(0), y2: y(0) }));
  const ticks = xLabels ?? [0, 0.25, 0.5, 0.75, 1].map(f => Math.round(f * xMax)).map(v => [v, format(v)]);
  for (const [value, label] of ticks) {
    svg.append(element('text', { x: x(value), y: size.height - 10, 'text-anchor': 'middle' }, label));
  }
  return { x, y };
}

/** series: [{ name, color, points: [[step, value], …] }]; yMax fixed (fractions) or from the data. */
export function lineChart(svg, series, { yMax, xMax } = {}) {
  const all = series.flatMap(s => s.points);
  const top = yMax ?? niceMax(Math.max(0, ...all.map(p => p[1])));
  const right = Math.max(1, xMax ?? 0, ...all.map(p => p[0]));
  const { x, y } = frame(svg, right, top);
  for (const s of series) {
    const points = s.points.map(([step, value]) => `${x(step).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
    svg.append(element('polyline', {
      points, fill: 'none', stroke: s.color, 'stroke-width': 2, 'data-series': s.name, 'data-count': s.points.length,
    }));
  }
}

/** groups: [{ label, values: [before, after] }] drawn with colors[i] per value. */
export function barChart(svg, groups, colors) {
  const top = niceMax(Math.max(0, ...groups.flatMap(g => g.values)));
  const { x, y } = frame(svg, groups.length, top, groups.map((g, i) => [i + 0.5, g.label]));
  const width = (x(1) - x(0)) * 0.8 / colors.length;
  groups.forEach((group, i) => group.values.forEach((value, j) => {
    svg.append(element('rect', {
      x: x(i) + (x(1) - x(0)) * 0.1 + j * width, y: y(value), width, height: y(0) - y(value), fill: colors[j],
      'data-layer': group.label, 'data-value': value,
    }, undefined));
  }));
}

export function legend(entries) {
  const node = document.createElement('div');
  node.className = 'legend';
  for (const [name, color] of entries) {
    const item = document.createElement('span');
    const swatch = document.createElement('i');
    swatch.style.background = color;
    item.append(swatch, name);
    node.append(item);
  }
  return node;
}
