/** One piece of a container's output, with the stream it was written to. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** Size of the header Docker puts before every frame of a non-TTY stream. */
const HEADER_BYTES = 8;

/**
 * Splits Docker's multiplexed stream (logs and exec attach without a TTY) into stdout
 * and stderr. Each frame is an 8-byte header — stream type (0 stdin, 1 stdout, 2
 * stderr), three zero bytes, payload length big-endian — then the payload. Frames
 * arrive cut anywhere by the transport, so the demuxer keeps the incomplete rest
 * between pushes.
 */
export class DockerFrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes from the engine; returns the complete frames they finish. */
  push(bytes: Buffer): OutputChunk[] {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, bytes]) : bytes;
    const out: OutputChunk[] = [];
    while (buf.length >= HEADER_BYTES) {
      const size = buf.readUInt32BE(4);
      if (buf.length < HEADER_BYTES + size) break;
      const type = buf[0];
      const data = buf.subarray(HEADER_BYTES, HEADER_BYTES + size);
      // stdin frames never come back from the engine; anything but stderr is output.
      if (size > 0) out.push({ stream: type === 2 ? 'stderr' : 'stdout', data: Buffer.from(data) });
      buf = buf.subarray(HEADER_BYTES + size);
    }
    this.pending = Buffer.from(buf);
    return out;
  }

  /** Bytes of an incomplete frame still waiting for the rest (a stream cut short). */
  get pendingBytes(): number {
    return this.pending.length;
  }
}
