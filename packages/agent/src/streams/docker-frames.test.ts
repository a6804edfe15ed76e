import { describe, expect, it } from 'vitest';
import { DockerFrameDemuxer, type OutputChunk } from './docker-frames';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function texts(chunks: OutputChunk[]): Array<[string, string]> {
  return chunks.map((c) => [c.stream, c.data.toString()]);
}

describe('DockerFrameDemuxer', () => {
  const cases: Array<{ name: string; pieces: (all: Buffer) => Buffer[]; frames: Buffer[]; want: Array<[string, string]> }> = [
    {
      name: 'whole frames in one push',
      frames: [frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')],
      pieces: (all) => [all],
      want: [['stdout', 'out 1\n'], ['stderr', 'err 1\n'], ['stdout', 'out 2\n']],
    },
    {
      name: 'a header cut in two',
      frames: [frame(2, 'boom\n')],
      pieces: (all) => [all.subarray(0, 3), all.subarray(3)],
      want: [['stderr', 'boom\n']],
    },
    {
      name: 'a payload cut in two',
      frames: [frame(1, 'hello world\n')],
      pieces: (all) => [all.subarray(0, 12), all.subarray(12)],
      want: [['stdout', 'hello world\n']],
    },
    {
      name: 'one byte at a time',
      frames: [frame(1, 'a'), frame(2, 'bc')],
      pieces: (all) => [...all].map((b) => Buffer.from([b])),
      want: [['stdout', 'a'], ['stderr', 'bc']],
    },
    {
      name: 'an empty frame is skipped',
      frames: [frame(1, ''), frame(1, 'x')],
      pieces: (all) => [all],
      want: [['stdout', 'x']],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = new DockerFrameDemuxer();
      const got = c.pieces(Buffer.concat(c.frames)).flatMap((p) => d.push(p));
      expect(texts(got)).toEqual(c.want);
      expect(d.pendingBytes).toBe(0);
    });
  }

  it('keeps an incomplete frame until the rest arrives', () => {
    const d = new DockerFrameDemuxer();
    const f = frame(1, 'partial');
    expect(d.push(f.subarray(0, 10))).toEqual([]);
    expect(d.pendingBytes).toBe(10);
    expect(texts(d.push(f.subarray(10)))).toEqual([['stdout', 'partial']]);
  });
});
