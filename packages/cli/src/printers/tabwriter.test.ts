import { describe, expect, it } from 'vitest';
import { StreamingTable, formatTable, tabwrite } from './tabwriter';

describe('formatTable (kubectl get)', () => {
  const cases: Array<[string, string[][], string]> = [
    [
      'pads to the widest cell plus three',
      [
        ['NAME', 'READY', 'STATUS', 'AGE'],
        ['nginx', '1/1', 'Running', '5m'],
      ],
      'NAME    READY   STATUS    AGE\nnginx   1/1     Running   5m\n',
    ],
    ['minimum width six', [['A', 'B'], ['x', 'y']], 'A     B\nx     y\n'],
    ['last column is not padded', [['NAME', 'AGE'], ['a', '10d']], 'NAME   AGE\na      10d\n'],
    ['nothing', [], ''],
  ];
  for (const [name, rows, want] of cases) it(name, () => expect(formatTable(rows)).toBe(want));
});

describe('tabwrite (kubectl describe)', () => {
  it('aligns consecutive lines that share a column; a line without cells ends the block', () => {
    const text = ['Name:\tweb', 'Namespace:\tdefault', 'Containers:', '  web:', '    Image:\tnginx', '    Restart Count:\t0'].join('\n');
    expect(tabwrite(text, { minWidth: 0, padding: 2 })).toBe(
      ['Name:       web', 'Namespace:  default', 'Containers:', '  web:', '    Image:          nginx', '    Restart Count:  0'].join('\n'),
    );
  });
  it('aligns inner columns within the outer block', () => {
    expect(tabwrite('a\tbb\tc\naaa\tb\tc', { minWidth: 0, padding: 1 })).toBe('a   bb c\naaa b  c');
  });
});

describe('StreamingTable (get -w)', () => {
  it('keeps later rows aligned with the header and widens for long cells', () => {
    const t = new StreamingTable();
    expect(t.format([['NAME', 'STATUS', 'AGE'], ['web', 'Pending', '0s']])).toBe('NAME   STATUS    AGE\nweb    Pending   0s\n');
    expect(t.format([['web', 'Running', '1s']])).toBe('web    Running   1s\n');
    expect(t.format([['a-long-name', 'Terminating', '2s']])).toBe('a-long-name   Terminating   2s\n');
  });
});
