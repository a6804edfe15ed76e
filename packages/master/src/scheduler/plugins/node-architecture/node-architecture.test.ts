import { describe, expect, it } from 'vitest';
import { Node } from '@orchard/api';
import { makeNode, makePod } from '../../framework/fixtures';
import { runFilter } from '../../framework/run-plugin';
import { ErrReason, imagePlatformsFromNodes, nodeArchitecture } from './node-architecture';

const imagePlatforms = new Map<string, string[]>([
  ['multi:1', ['linux/amd64', 'linux/arm64', 'linux/arm/v7']],
  ['amd64-only:1', ['linux/amd64']],
  ['armv6:1', ['linux/arm/v6']],
  ['armv7:1', ['linux/arm/v7']],
  ['arm64-v8:1', ['linux/arm64/v8']],
  ['listed-empty:1', []],
]);

const pi4 = { architecture: 'arm64', machine: 'aarch64' };
const pi3armhf = { architecture: 'arm', machine: 'armv7l' };
const piZero = { architecture: 'arm', machine: 'armv6l' };
const pc = { architecture: 'amd64', machine: 'x86_64' };

describe('NodeArchitecture', () => {
  const cases = [
    { name: 'multi-arch image fits a Pi 4', images: ['multi:1'], node: pi4, reasons: [] },
    { name: 'multi-arch image fits a 32-bit Pi', images: ['multi:1'], node: pi3armhf, reasons: [] },
    { name: 'amd64-only image never goes to a Pi', images: ['amd64-only:1'], node: pi4, reasons: [ErrReason] },
    { name: 'amd64-only image fits a PC', images: ['amd64-only:1'], node: pc, reasons: [] },
    { name: 'armv6 image runs on an armv7 board', images: ['armv6:1'], node: pi3armhf, reasons: [] },
    { name: 'armv7 image does not run on a Pi Zero (armv6)', images: ['armv7:1'], node: piZero, reasons: [ErrReason] },
    { name: 'arm64/v8 image fits a Pi 4', images: ['arm64-v8:1'], node: pi4, reasons: [] },
    { name: 'every image must fit: one amd64-only container rejects', images: ['multi:1', 'amd64-only:1'], node: pi4, reasons: [ErrReason] },
    { name: 'unknown image does not filter', images: ['private/thing:2'], node: pi4, reasons: [] },
    { name: 'image listed without platforms does not filter', images: ['listed-empty:1'], node: pi4, reasons: [] },
    { name: 'node without a reported architecture is not filtered', images: ['amd64-only:1'], node: { architecture: '', machine: '' }, reasons: [] },
    { name: 'kernel spelling of the machine alone is understood', images: ['amd64-only:1'], node: { architecture: '', machine: 'aarch64' }, reasons: [ErrReason] },
  ];
  it.each(cases)('$name', ({ images, node, reasons }) => {
    const n = makeNode({ name: 'n1', ...node });
    const status = runFilter(nodeArchitecture(), makePod({ images }), n, { nodes: [n], imagePlatforms });
    expect(status.reasons).toEqual(reasons);
  });

  const registry = new Map<string, string[]>([
    ['reg.example/arm64-only:1', ['linux/arm64']],
    ['multi:1', ['linux/arm64']],
    ['amd64-only:1', ['linux/arm64']],
    ['reg.example/unknown:1', []],
  ]);
  const registryCases = [
    { name: 'registry-only arm64 image fits a Pi 4', images: ['reg.example/arm64-only:1'], node: pi4, reasons: [] },
    { name: 'registry-only arm64 image never goes to a PC', images: ['reg.example/arm64-only:1'], node: pc, reasons: [ErrReason] },
    { name: 'an image the registry could not resolve does not filter', images: ['reg.example/unknown:1'], node: pc, reasons: [] },
    { name: 'an image the registry never heard of does not filter', images: ['reg.example/other:1'], node: pc, reasons: [] },
    { name: 'local and registry platforms add up', images: ['amd64-only:1'], node: pi4, reasons: [] },
    { name: 'registry alone, no node reports', images: ['reg.example/arm64-only:1'], node: pc, reasons: [ErrReason], local: false },
  ];
  it.each(registryCases)('registry: $name', ({ images, node, reasons, local }) => {
    const n = makeNode({ name: 'n1', ...node });
    const snapshot = { nodes: [n], imagePlatforms: local === false ? undefined : imagePlatforms, registryPlatforms: (i: string) => registry.get(i) };
    expect(runFilter(nodeArchitecture(), makePod({ images }), n, snapshot).reasons).toEqual(reasons);
  });

  it('does nothing without image platforms in the snapshot', () => {
    const n = makeNode({ name: 'n1', ...pi4 });
    expect(runFilter(nodeArchitecture(), makePod({ images: ['amd64-only:1'] }), n).reasons).toEqual([]);
  });

  it('gathers image platforms from what nodes report', () => {
    const nodes = [
      Node.fromPartial({ status: { images: [{ names: ['web:1', 'web@sha256:ab'], platforms: ['linux/arm64'] }] } }),
      Node.fromPartial({ status: { images: [{ names: ['web:1'], platforms: ['linux/amd64', 'linux/arm64'] }, { names: ['x:1'] }] } }),
    ];
    expect(Object.fromEntries(imagePlatformsFromNodes(nodes))).toEqual({
      'web:1': ['linux/arm64', 'linux/amd64'],
      'web@sha256:ab': ['linux/arm64'],
    });
  });
});
