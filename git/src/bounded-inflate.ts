import { createInflate, inflateSync } from 'node:zlib';
import { PackError } from './pack-format.js';

/** Where a pack's bytes come from: memory, or positional reads of a file. */
export interface PackBytes {
  /** Bytes `start` to `end` (fewer when the pack ends first). */
  read(start: number, end: number): Promise<Buffer>;
}

/** Objects up to this size are inflated in one synchronous call; larger ones stream. */
export const ONE_CALL_BYTES = 1024 * 1024;
/** Compressed bytes read per step when streaming. */
const STREAM_READ_BYTES = 1024 * 1024;

/**
 * The longest zlib stream zlib's deflate makes of `size` bytes (zlib's compressBound),
 * plus room for the header: the window read for the one-call path.
 */
function compressBound(size: number): number {
  return size + Math.floor(size / 4096) + Math.floor(size / 16384) + Math.floor(size / 2 ** 25) + 64;
}

/**
 * Inflate the zlib stream at pack offset `start` (ending at or before `limit`), which must
 * produce exactly `size` bytes: a stream producing more is stopped there, so no claim of
 * the server decides how much memory is used beyond `size` itself.
 * @returns the data and the offset just past the zlib stream
 */
export async function inflateExactly(bytes: PackBytes, start: number, limit: number, size: number, where: string): Promise<{ data: Buffer; end: number }> {
  if (size <= ONE_CALL_BYTES) {
    const window = await bytes.read(start, Math.min(limit, start + compressBound(size)));
    try {
      // An output chunk the size of the object: the default 16 KiB chunk per object adds up.
      const { buffer, engine } = inflateSync(window, { info: true, chunkSize: Math.max(64, size + 1), maxOutputLength: Math.max(1, size) }) as unknown as
        { buffer: Buffer; engine: { bytesWritten: number } };
      if (buffer.length !== size) throw new PackError(`${where} inflates to ${buffer.length} bytes, but its header says ${size}`);
      return { data: buffer, end: start + engine.bytesWritten };
    } catch (error) {
      if (error instanceof PackError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooMuch(where, size);
      // A stream longer than zlib would make it is unusual but valid: stream it instead.
      const truncatedWindow = (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' && start + window.length < limit;
      if (!truncatedWindow) throw corrupt(where, error);
    }
  }
  const data = Buffer.allocUnsafe(size);
  const { end } = await inflateInto(bytes, start, limit, size, where, (chunk, at) => chunk.copy(data, at));
  return { data, end };
}

/**
 * Inflate while reading, handing each piece of output to `consume` (with its position),
 * so an object need not be held whole (hashing a large file); zlib runs off the main
 * thread. The same bounds as {@link inflateExactly}.
 */
export async function inflateInto(
  bytes: PackBytes, start: number, limit: number, size: number, where: string, consume: (chunk: Buffer, at: number) => void,
): Promise<{ end: number }> {
  let produced = 0;
  const inflate = createInflate({ chunkSize: 64 * 1024 });
  let finished = false;
  const done = new Promise<void>((resolve, reject) => {
    inflate.on('data', (chunk: Buffer) => {
      if (produced + chunk.length > size) {
        inflate.destroy(tooMuch(where, size));
        return;
      }
      consume(chunk, produced);
      produced += chunk.length;
    });
    // zlib ends the stream at the end of the zlib data and ignores what follows.
    inflate.once('end', resolve);
    inflate.once('error', reject);
  }).finally(() => { finished = true; });
  done.catch(() => undefined);
  try {
    let position = start;
    while (!finished && position < limit) {
      const chunk = await bytes.read(position, Math.min(limit, position + STREAM_READ_BYTES));
      if (chunk.length === 0) break;
      position += chunk.length;
      if (!inflate.write(chunk)) await Promise.race([new Promise((resolve) => inflate.once('drain', resolve)), done]);
    }
    if (!finished) inflate.end();
    await done;
  } catch (error) {
    inflate.destroy();
    if (error instanceof PackError) throw error;
    throw corrupt(where, error);
  }
  if (produced !== size) throw new PackError(`${where} inflates to ${produced} bytes, but its header says ${size}`);
  return { end: start + inflate.bytesWritten };
}

function tooMuch(where: string, size: number): PackError {
  return new PackError(`${where} inflates to more than the ${size} bytes its header says`);
}

function corrupt(where: string, error: unknown): PackError {
  return new PackError(`${where} has corrupt or truncated zlib data (${(error as Error).message})`);
}
