/**
 * The dashboard's one live connection per tab: a server-sent-events stream from the hub,
 * read with fetch so the token travels as a bearer header (EventSource cannot send one and
 * the token never goes into a URL). Reconnects with a growing pause when the hub is away.
 */
export interface LiveChange {
  clusters: string[];
  rollouts: string[];
}

const MAX_RETRY_MS = 15_000;

export function connectLive(token: string, onChange: (change: LiveChange) => void, onState: (connected: boolean) => void): () => void {
  const stop = new AbortController();
  let retryMs = 500;
  let connectedBefore = false;
  const run = async () => {
    while (!stop.signal.aborted) {
      try {
        const response = await fetch('/api/v1/live', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: stop.signal, cache: 'no-store' });
        if (!response.ok || !response.body) throw new Error(`live stream answered ${response.status}`);
        onState(true);
        // Changes made while the stream was down were not sent: reload what the page shows.
        if (connectedBefore) onChange({ clusters: [], rollouts: [] });
        connectedBefore = true;
        retryMs = 500;
        await readEvents(response.body, onChange);
      } catch {
        // Reconnected below; the page keeps the data it has meanwhile.
      }
      onState(false);
      if (stop.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
  };
  void run();
  return () => stop.abort();
}

/** Reads `event:`/`data:` blocks until the stream ends; only `change` events carry data. */
async function readEvents(body: ReadableStream<Uint8Array>, onChange: (change: LiveChange) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event:'))?.slice(6).trim();
      const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
      if (event === 'change' && data) onChange(JSON.parse(data) as LiveChange);
    }
  }
}
