/** The server's answer is not the git protocol (or reports a protocol error). */
export class ProtocolError extends Error {}

/** flush-pkt `0000`: ends a list (and, in protocol v2, a request or response). */
export const FLUSH = Buffer.from('0000');
/** delim-pkt `0001`: separates the sections of a protocol v2 message. */
export const DELIM = Buffer.from('0001');

/** How {@link PktLineReader.next} returns the special packets (compare by identity). */
export const FLUSH_PACKET = Buffer.alloc(0);
export const DELIM_PACKET = Buffer.alloc(0);
export const RESPONSE_END_PACKET = Buffer.alloc(0);

/** One pkt-line holding `text` (gitprotocol-common "pkt-line Format"). */
export function pktLine(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

/** Splits a byte stream into pkt-lines; the special packets come out as the constants above. */
export class PktLineReader {
  private buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The next packet, or undefined at the end of the stream. */
  async next(): Promise<Buffer | undefined> {
    if (!(await this.fill(4))) {
      if (this.buffer.length > 0) throw new ProtocolError('truncated pkt-line header');
      return undefined;
    }
    const lengthText = this.buffer.toString('latin1', 0, 4);
    const length = Number.parseInt(lengthText, 16);
    if (!/^[0-9a-f]{4}$/i.test(lengthText) || length === 3) throw new ProtocolError(`invalid pkt-line length "${lengthText}"`);
    if (length < 3) {
      this.buffer = this.buffer.subarray(4);
      return [FLUSH_PACKET, DELIM_PACKET, RESPONSE_END_PACKET][length];
    }
    if (!(await this.fill(length))) throw new ProtocolError('truncated pkt-line');
    const packet = this.buffer.subarray(4, length);
    this.buffer = this.buffer.subarray(length);
    return packet;
  }

  /**
   * Reads on to the end of the stream, which must hold nothing more. Over HTTP an answer
   * ends after its last packet, but its body ends (and its kept-alive connection is free for
   * the next request) only when read to the end: git reads it so too. Anything more is a
   * protocol error, and the stream is closed without reading it.
   */
  async expectEnd(): Promise<void> {
    let extra = this.buffer.length > 0;
    while (!extra) {
      const { value, done } = await this.iterator.next();
      if (done) return;
      extra = value.byteLength > 0;
    }
    await this.close();
    throw new ProtocolError('data after the last packet');
  }

  /** Stops reading and closes the stream (an HTTP answer's connection with it). */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }

  /** The next packet as text without its trailing newline; undefined for a special packet or the end. */
  async nextLine(): Promise<string | undefined> {
    const packet = await this.next();
    if (packet === undefined || packet.length === 0) return undefined;
    return packet.toString('utf8').replace(/\n$/, '');
  }

  private async fill(length: number): Promise<boolean> {
    while (this.buffer.length < length) {
      const { value, done } = await this.iterator.next();
      if (done) return false;
      this.buffer = this.buffer.length === 0 ? Buffer.from(value) : Buffer.concat([this.buffer, value]);
    }
    return true;
  }
}
