// The job page: lists of the tenant's models, datasets and jobs, and a live view of one job.
import { api, apiKey, download, followJob, isFinalStatus, objectUrl } from './api.js';
import { barChart, legend, lineChart } from './charts.js';

const colors = { flops: '#0969da', params: '#8250df', loss: '#cf222e', accuracy: '#1a7f37', before: '#9ec5f0', after: '#0969da' };
let leaving = new AbortController();

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  node.append(...children.flat().filter(c => c !== undefined && c !== null).map(c => c instanceof Node ? c : String(c)));
  return node;
}

const number = value => value === undefined || value === null ? '–' : Number(value).toLocaleString('en');
const percent = value => value === undefined || value === null ? '–' : `${(100 * value).toFixed(1)} %`;
const when = value => value ? new Date(value).toLocaleString() : '–';

function showProblem(error) {
  const box = document.getElementById('problem');
  box.hidden = !error;
  box.textContent = error ? error.message : '';
}

function table(headings, rows) {
  return h('table', {},
    h('thead', {}, h('tr', {}, headings.map(([text, cls]) => h('th', { class: cls }, text)))),
    h('tbody', {}, rows));
}

async function homeView(view) {
  const [models, datasets, jobs] = await Promise.all(['models', 'datasets', 'jobs'].map(r => api(`v1/${r}?pageSize=100`)));
  view.replaceChildren(
    h('h2', {}, `Jobs (${jobs.count})`),
    table([['Job'], ['Method'], ['Status'], ['Progress', 'num'], ['Created']], jobs.data.map(job => h('tr', {},
      h('td', {}, h('a', { href: `#/jobs/${job.id}` }, job.id)), h('td', {}, job.method),
      h('td', { class: `status status-${job.status}` }, job.status), h('td', { class: 'num' }, percent(job.progress)),
      h('td', {}, when(job.createdAt))))),
    h('h2', {}, `Models (${models.count})`),
    table([['Name'], ['Params', 'num'], ['FLOPs', 'num'], ['Prunable groups', 'num'], ['Id']], models.data.map(model => h('tr', {},
      h('td', {}, model.name), h('td', { class: 'num' }, number(model.inspection?.params)),
      h('td', { class: 'num' }, number(model.inspection?.flops)), h('td', { class: 'num' }, number(model.inspection?.prunableGroups)),
      h('td', {}, model.id)))),
    h('h2', {}, `Datasets (${datasets.count})`),
    table([['Name'], ['Samples', 'num'], ['Input shape'], ['Classes', 'num'], ['Id']], datasets.data.map(dataset => h('tr', {},
      h('td', {}, dataset.name), h('td', { class: 'num' }, number(dataset.samples)), h('td', {}, `[${dataset.inputShape.join(', ')}]`),
      h('td', { class: 'num' }, number(dataset.numClasses)), h('td', {}, dataset.id)))));
}

function chartFigure(id, caption, entries) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.id = id;
  return h('figure', {}, h('figcaption', {}, caption), legend(entries), svg);
}

function renderResult(job) {
  const result = job.result;
  const numbers = document.getElementById('numbers');
  if (!result) {
    numbers.replaceChildren(job.error ? h('p', { class: 'status-failed' }, job.error) : '');
    return;
  }
  const warnings = result.warnings ?? [];
  document.getElementById('warnings').replaceChildren(...warnings.map(text => h('li', {}, text)));
  document.getElementById('warnings').hidden = warnings.length === 0;
  const row = (label, field, show) => h('tr', {}, h('th', {}, label),
    ['before', 'after'].map(side => h('td', { class: 'num', id: `${side}-${field}`, 'data-value': result[side][field] }, show(result[side][field]))));
  // Accuracy needs labels; a distillation job without them shows only its agreement with the original.
  const labelled = result.before.accuracy !== null && result.before.accuracy !== undefined;
  const agreement = result.after.agreement ?? [];
  numbers.replaceChildren(
    h('p', { id: 'evaluated-on' }, `Objective ${result.objective ?? 'labels'}; figures on ${result.evaluatedOn ?? 'the validation slice'}.`),
    table([[''], ['Before', 'num'], ['After', 'num']], [
      row('Parameters', 'params', number), row('FLOPs', 'flops', number),
      ...(labelled ? [row('Accuracy', 'accuracy', percent)] : []),
      ...(result.before.top5Accuracy != null ? [row('Top-5 accuracy', 'top5Accuracy', percent)] : []),
      row('Latency (ms)', 'latencyMs', v => v.toFixed(3))]),
    ...(agreement.length === 0 ? [] : [table([['Output'], ['Top-1 agreement', 'num'], ['Relative error', 'num'], ['Cosine', 'num']],
      agreement.map(a => h('tr', { class: 'agreement' }, h('th', {}, a.output), h('td', { class: 'num' }, percent(a.top1Agreement)),
        h('td', { class: 'num' }, a.relativeError.toPrecision(3)), h('td', { class: 'num' }, a.cosine.toFixed(4)))))]));
  document.getElementById('sizes').replaceChildren(...sizeTables(job));
  barChart(document.getElementById('chart-layers'), result.layers.map(l => ({ label: l.name, values: [l.channelsBefore, l.channelsAfter] })),
    [colors.before, colors.after]);
  document.getElementById('artifacts').replaceChildren(...job.artifacts.map(name => h('li', {},
    h('a', { href: `v1/jobs/${job.id}/artifacts/${name}`, onclick: event => {
      event.preventDefault();
      download(`v1/jobs/${job.id}/artifacts/${name}`, name).catch(showProblem);
    } }, name))));
  if (job.artifacts.includes('report.png')) {
    objectUrl(`v1/jobs/${job.id}/artifacts/report.png`)
      .then(url => document.getElementById('report').replaceChildren(h('img', { src: url, alt: 'report.png', id: 'report-png' })))
      .catch(showProblem);
  }
}

// Held-out accuracy with labels, else each output's agreement with the original (top-1, or relative error for non-class outputs).
function figure(figures) {
  if (figures.accuracy !== null && figures.accuracy !== undefined) return `accuracy ${percent(figures.accuracy)}`;
  return (figures.agreement ?? []).map(a => a.top1Agreement !== null && a.top1Agreement !== undefined
    ? `top-1 agreement ${percent(a.top1Agreement)} (${a.output})` : `relative error ${a.relativeError.toPrecision(3)} (${a.output})`).join(', ') || '–';
}

// A levels job's networks (each a model of its own) and a budget job's candidates, largest first.
function sizeTables(job) {
  const result = job.result;
  const tables = [];
  if (result.levels) {
    tables.push(h('h3', {}, `Levels (${result.levels.length})`), h('div', { id: 'levels' }, table(
      [['Target'], ['Model'], ['FLOPs', 'num'], ['Params', 'num'], ['Held-out figure'], ['Latency (ms)', 'num']],
      result.levels.map(level => h('tr', { class: 'level', 'data-model-id': level.modelId },
        h('td', { 'data-value': level.target }, percent(level.target)), h('td', {}, level.modelId),
        h('td', { class: 'num', 'data-value': level.after.flops }, number(level.after.flops)),
        h('td', { class: 'num', 'data-value': level.after.params }, number(level.after.params)),
        h('td', {}, figure(level.after)), h('td', { class: 'num', 'data-value': level.after.latencyMs }, level.after.latencyMs.toFixed(3)))))));
  }
  if (result.candidates) {
    const budget = Object.keys(job.target).find(k => k.endsWith('Drop'));
    tables.push(h('h3', {}, `Candidates tried (${budget} ${job.target[budget]}, smallest by ${job.target.by})`), h('div', { id: 'candidates' }, table(
      [['FLOPs kept', 'num'], ['Params kept', 'num'], ['Held-out figure'], ['Drop', 'num'], ['Within the budget'], ['Chosen']],
      result.candidates.map(c => h('tr', { class: `candidate${c.chosen ? ' chosen' : ''}`, 'data-flops': c.flops, 'data-params': c.params },
        h('td', { class: 'num', 'data-value': c.flopsFraction }, `${percent(c.flopsFraction)} (${number(c.flops)})`),
        h('td', { class: 'num', 'data-value': c.paramsFraction }, `${percent(c.paramsFraction)} (${number(c.params)})`),
        h('td', {}, figure(c)), h('td', { class: 'num', 'data-value': c.drop }, c.drop.toPrecision(3)),
        h('td', { class: c.withinBudget ? 'held' : 'not-held' }, c.withinBudget ? 'held' : 'not held'),
        h('td', {}, c.chosen ? 'chosen' : ''))))));
  }
  return tables;
}

function renderStatus(job) {
  const status = document.getElementById('status');
  status.textContent = job.status;
  status.className = `status status-${job.status}`;
  document.getElementById('cancel').hidden = isFinalStatus(job.status);
  document.getElementById('progress').value = job.progress ?? 0;
}

// "fine-tuning 12/18 · step 182 of 188 (fisher-rounds 170/170, fine-tuning 12/18) · about 3 s left"
function describePlan(progress) {
  const phases = progress.phases ?? [];
  const current = phases.find(p => p.name === progress.phase);
  const stage = current ? `${current.name} ${current.stepsDone}/${current.stepsPlanned}` : progress.phase;
  const steps = progress.totalSteps ? `step ${progress.step} of ${progress.totalSteps}` +
    (phases.length > 1 ? ` (${phases.map(p => `${p.name} ${p.stepsDone}/${p.stepsPlanned}`).join(', ')})` : '') : undefined;
  const eta = typeof progress.etaSeconds === 'number' && progress.phase !== 'done'
    ? `about ${progress.etaSeconds < 90 ? `${Math.ceil(progress.etaSeconds)} s` : `${Math.round(progress.etaSeconds / 60)} min`} left` : undefined;
  return [stage, steps, eta].filter(Boolean).join(' · ');
}

async function jobView(view, id, signal) {
  const job = await api(`v1/jobs/${id}`);
  // a fraction, levels ({flops: [0.5, 0.25]}) or a budget ({accuracyDrop: 0.01, by: 'flops'})
  const target = Object.entries(job.target).filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.map(percent).join(' / ') : typeof v === 'number' ? percent(v) : v}`).join(', ');
  const cancel = h('button', { id: 'cancel', onclick: () => api(`v1/jobs/${id}/cancel`, { method: 'POST' }).catch(showProblem) }, 'Cancel job');
  view.replaceChildren(
    h('h2', {}, `Job ${id}`),
    h('p', {}, h('span', { id: 'status' }), ` · ${job.method} · target ${target} · created ${when(job.createdAt)} `, cancel),
    h('progress', { id: 'progress', max: 1, value: 0 }), h('p', { id: 'plan' }),
    h('div', { class: 'charts' },
      chartFigure('chart-cost', 'Cost kept (fraction of the original) by step', [['FLOPs', colors.flops], ['params', colors.params]]),
      chartFigure('chart-loss', 'Training loss by step', [['loss', colors.loss]]),
      chartFigure('chart-accuracy', 'Validation accuracy by step', [['accuracy', colors.accuracy]]),
      chartFigure('chart-layers', 'Channels per layer', [['before', colors.before], ['after', colors.after]])),
    h('h2', {}, 'Result'), h('ul', { id: 'warnings', class: 'warnings', role: 'alert', hidden: '' }), h('div', { id: 'numbers' }),
    h('div', { id: 'sizes' }),
    h('h2', {}, 'Artifacts'), h('ul', { id: 'artifacts' }), h('div', { id: 'report' }),
    h('h2', {}, 'Log'), h('div', { id: 'log' }));
  renderStatus(job);
  renderResult(job);

  const series = { flops: [], params: [], loss: [], accuracy: [] };
  let totalSteps = 0;
  let drawPending = false;
  const draw = () => {
    drawPending = false;
    lineChart(document.getElementById('chart-cost'), [
      { name: 'flops', color: colors.flops, points: series.flops }, { name: 'params', color: colors.params, points: series.params }],
    { yMax: 1, xMax: totalSteps });
    lineChart(document.getElementById('chart-loss'), [{ name: 'loss', color: colors.loss, points: series.loss }], { xMax: totalSteps });
    lineChart(document.getElementById('chart-accuracy'), [{ name: 'accuracy', color: colors.accuracy, points: series.accuracy }],
      { yMax: 1, xMax: totalSteps });
  };
  const log = text => document.getElementById('log').append(`${text}\n`);
  draw();
  await followJob(id, event => {
    if (event.type === 'progress') {
      totalSteps = Math.max(totalSteps, event.data.totalSteps ?? 0);
      for (const name of Object.keys(series)) {
        if (typeof event.data[name] === 'number') series[name].push([event.data.step, event.data[name]]);
      }
      document.getElementById('progress').value = event.data.progress ?? 0;
      document.getElementById('plan').textContent = describePlan(event.data);
      if (!drawPending) { drawPending = true; requestAnimationFrame(draw); }
      if (event.data.message) log(event.data.message);
    } else if (event.type === 'status') {
      renderStatus({ ...job, status: event.data.status, progress: document.getElementById('progress').value });
      log(`${event.data.status}: ${event.data.message ?? ''}`);
    } else if (event.type === 'log') {
      log(event.data.message);
    } else if (event.type === 'warning') {
      log(`warning: ${event.data.message}`);
    }
  }, signal);
  draw();
  const finished = await api(`v1/jobs/${id}`);
  renderStatus(finished);
  renderResult(finished);
}

async function route() {
  leaving.abort();
  leaving = new AbortController();
  const view = document.getElementById('view');
  const match = location.hash.match(/^#\/jobs\/([0-9a-f-]{36})$/i);
  showProblem(null);
  try {
    await (match ? jobView(view, match[1], leaving.signal) : homeView(view));
  } catch (error) {
    if (!leaving.signal.aborted) showProblem(error);
  }
}

document.getElementById('api-key').value = apiKey.get();
document.getElementById('key-form').addEventListener('submit', event => {
  event.preventDefault();
  apiKey.set(document.getElementById('api-key').value.trim());
  route();
});
window.addEventListener('hashchange', route);
route();
