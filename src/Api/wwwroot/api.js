// The Shears REST API from the browser: the API key goes in X-Api-Key on every call, including the event
// stream (EventSource cannot send headers, so the stream is read with fetch).
const keyStorage = 'shears.apiKey';

export const apiKey = {
  get: () => localStorage.getItem(keyStorage) ?? '',
  set: key => localStorage.setItem(keyStorage, key),
};

export class ProblemError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function headers(extra = {}) {
  const key = apiKey.get();
  return key ? { 'X-Api-Key': key, ...extra } : extra;
}

async function problemOf(response) {
  let text = `${response.status} ${response.statusText}`;
  try {
    const problem = await response.json();
    text += `: ${[problem.title, problem.detail].filter(Boolean).join(' ')}`;
    for (const [field, messages] of Object.entries(problem.errors ?? {})) text += `\n  ${field}: ${messages.join(' ')}`;
  } catch { /* not problem details */ }
  return new ProblemError(response.status, text);
}

export async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (!response.ok) throw await problemOf(response);
  return response.status === 204 ? null : response.json();
}

/** A local object URL for a file that needs the key header (artifact downloads, report.png). */
export async function objectUrl(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw await problemOf(response);
  return URL.createObjectURL(await response.blob());
}

/** Downloads an artifact with the key header and hands it to the browser as a file. */
export async function download(path, fileName) {
  const url = await objectUrl(path);
  const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export const isFinalStatus = status => ['succeeded', 'failed', 'cancelled'].includes(status);

/** One connection's Server-Sent Events, parsed as they arrive. */
async function* readEvents(jobId, lastEventId, signal) {
  const extra = lastEventId > 0 ? { 'Last-Event-ID': String(lastEventId) } : {};
  const response = await fetch(`v1/jobs/${jobId}/events`, { headers: headers({ Accept: 'text/event-stream', ...extra }), signal });
  if (!response.ok) throw await problemOf(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { id: lastEventId, type: 'message', data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (event.data.length) yield { id: Number(event.id), type: event.type, data: JSON.parse(event.data.join('\n')) };
        event = { id: event.id, type: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') event.id = text;
      else if (field === 'event') event.type = text;
      else if (field === 'data') event.data.push(text);
    }
  }
}

/**
 * Calls onEvent for every event of the job until its final status; reconnects with Last-Event-ID when the
 * connection drops, so nothing is missed or repeated.
 */
export async function followJob(jobId, onEvent, signal) {
  let lastEventId = 0;
  let failures = 0;
  while (!signal.aborted) {
    try {
      for await (const event of readEvents(jobId, lastEventId, signal)) {
        lastEventId = event.id;
        failures = 0;
        onEvent(event);
        if (event.type === 'status' && isFinalStatus(event.data.status)) return;
      }
    } catch (error) {
      if (signal.aborted || error instanceof ProblemError) throw error;
    }
    if (++failures > 10) throw new Error('The event stream keeps breaking off.');
    await new Promise(resolve => setTimeout(resolve, 1000 * Math.min(failures, 5)));
  }
}
