/** The agent file edits of qm recommend --write: only the values change, byte for byte; and the unified diff of them. */
import { describe, expect, test } from 'vitest';
import { QmError } from '../../src/model/errors.js';
import { unifiedDiff } from '../../src/recommend/diff.js';
import { cpuText, editRequests, memoryText } from '../../src/recommend/edit.js';

const MI = 2 ** 20;

const TWO_AGENTS = `# Sized by hand in 2025.
apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  owner: team-a   # who pays
  resources:
    requests: {cpu: 2, memory: "4Gi"}  # generous
    limits: {memory: 8Gi}
---
# embed: tuned
apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: embed}
spec:
  resources:
    requests:
      memory: '1Gi'   # measured
      cpu: 500m # tuned
  owner: team-b
`;

describe('editRequests', () => {
  test('a flow map and a block map in one file: only the values change, quoting and comments kept', () => {
    const after = editRequests(TWO_AGENTS, 'agents/a.yaml', [
      { agent: 'embed', cpuMillis: 1500, memoryBytes: 1536 * MI },
      { agent: 'chat', cpuMillis: 550, memoryBytes: 1092 * MI },
    ]);
    expect(after).toBe(
      TWO_AGENTS.replace('{cpu: 2, memory: "4Gi"}', '{cpu: 550m, memory: "1092Mi"}').replace("memory: '1Gi'", "memory: '1536Mi'").replace('cpu: 500m # tuned', 'cpu: 1500m # tuned'),
    );
  });

  test('one resource only: the other and the rest of the file are untouched', () => {
    const after = editRequests(TWO_AGENTS, 'agents/a.yaml', [{ agent: 'embed', memoryBytes: 2 * 2 ** 30 }]);
    expect(after).toBe(TWO_AGENTS.replace("memory: '1Gi'", "memory: '2Gi'"));
  });

  test('a request not declared yet is added in the map’s own style', () => {
    const flow = 'kind: Agent\nmetadata: {name: a}\nspec:\n  resources:\n    requests: {cpu: 1}   # x\n';
    expect(editRequests(flow, 'a.yaml', [{ agent: 'a', memoryBytes: 300 * MI }])).toBe('kind: Agent\nmetadata: {name: a}\nspec:\n  resources:\n    requests: {cpu: 1, memory: 300Mi}   # x\n');
    const block = 'kind: Agent\nmetadata: {name: a}\nspec:\n  resources:\n    requests:\n        memory: 1Gi  # m\n  owner: o\n';
    expect(editRequests(block, 'a.yaml', [{ agent: 'a', cpuMillis: 250 }])).toBe('kind: Agent\nmetadata: {name: a}\nspec:\n  resources:\n    requests:\n        memory: 1Gi  # m\n        cpu: 250m\n  owner: o\n');
  });

  test('CRLF files keep CRLF, on changed and added lines alike', () => {
    const text = 'kind: Agent\r\nmetadata: {name: a}\r\nspec:\r\n  resources:\r\n    requests:\r\n      cpu: 1\r\n  owner: o\r\n';
    expect(editRequests(text, 'a.yaml', [{ agent: 'a', cpuMillis: 250, memoryBytes: 64 * MI }])).toBe(
      'kind: Agent\r\nmetadata: {name: a}\r\nspec:\r\n  resources:\r\n    requests:\r\n      cpu: 250m\r\n      memory: 64Mi\r\n  owner: o\r\n',
    );
  });

  test('a value behind an alias is refused with file:line:column, not rewritten', () => {
    const text = 'kind: Agent\nmetadata: {name: a}\nx: &big 4Gi\nspec:\n  resources:\n    requests: {cpu: 1, memory: *big}\n';
    let err: unknown;
    try {
      editRequests(text, 'agents/a.yaml', [{ agent: 'a', memoryBytes: MI * 512 }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QmError);
    expect((err as QmError).message).toBe("agents/a.yaml:6:32: Agent 'a': requests.memory is not a plain value (an alias or a block), so qm recommend cannot change it");
  });

  test('quantities are written as people write them', () => {
    expect([cpuText(2000), cpuText(550), cpuText(10)]).toEqual(['2', '550m', '10m']);
    expect([memoryText(2 * 2 ** 30), memoryText(1092 * MI)]).toEqual(['2Gi', '1092Mi']);
  });
});

describe('unifiedDiff', () => {
  test('hunks with 3 lines of context, removals before additions, line numbers of both sides', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const after = before.replace('line 2\n', 'line two\n').replace('line 15\n', 'line 15\nline 15b\n');
    expect(unifiedDiff('f.yaml', before, after)).toBe(
      [
        '--- a/f.yaml',
        '+++ b/f.yaml',
        '@@ -1,5 +1,5 @@',
        ' line 1',
        '-line 2',
        '+line two',
        ' line 3',
        ' line 4',
        ' line 5',
        '@@ -13,6 +13,7 @@',
        ' line 13',
        ' line 14',
        ' line 15',
        '+line 15b',
        ' line 16',
        ' line 17',
        ' line 18',
        '',
      ].join('\n'),
    );
    expect(unifiedDiff('f.yaml', before, before)).toBe('');
  });
});
