import { describe, expect, it } from 'vitest';
import { codeSpan, escapeHtml, escapeMd, linkOrCode, thousands } from '../../src/render/plan/markdown-escape.js';
import { renderMarkdown } from '../../src/render/plan/markdown.js';
import { aPlan } from './builders.js';

describe('escaping user-provided strings', () => {
  it.each([
    ['a|b', 'a\\|b'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['</details>', '&lt;/details&gt;'],
    ['`code` and ```fence', '\\`code\\` and \\`\\`\\`fence'],
    ['**bold** _it_ ~~del~~', '\\*\\*bold\\*\\* \\_it\\_ \\~\\~del\\~\\~'],
    ['[click](javascript:x)', '\\[click\\](javascript:x)'],
    ['![img](http://x/y.png)', '\\!\\[img\\](http://x/y.png)'],
    ['ping @octocat', 'ping @&#8203;octocat'],
    ['line\nbreak\r\nhere', 'line break  here'],
    ['$x^2$ & #1', '\\$x^2\\$ &amp; \\#1'],
    ['back\\slash', 'back\\\\slash'],
  ])('escapeMd(%j)', (raw, escaped) => expect(escapeMd(raw)).toBe(escaped));

  it.each([
    ['<b>x</b> & "q" \'s\'', '&lt;b&gt;x&lt;/b&gt; &amp; &quot;q&quot; &#39;s&#39;'],
    ['@team', '@&#8203;team'],
  ])('escapeHtml(%j)', (raw, escaped) => expect(escapeHtml(raw)).toBe(escaped));

  it.each([
    ['QuotaExceeded', '`QuotaExceeded`'],
    ['a`b', '`` a`b ``'],
    ['``x', '``` ``x ```'],
    ['', '` `'],
    ['two\nlines', '`two lines`'],
  ])('codeSpan(%j)', (raw, span) => expect(codeSpan(raw)).toBe(span));

  it('links only http(s) URLs, with the destination made safe', () => {
    expect(linkOrCode('the full plan', 'https://github.com/o/r/actions/runs/1#artifacts')).toBe('[the full plan](https://github.com/o/r/actions/runs/1#artifacts)');
    expect(linkOrCode('the full plan', 'https://x/a(b)<c>')).toBe('[the full plan](https://x/a%28b%29%3Cc%3E)');
    expect(linkOrCode('the full plan', 'javascript:alert(1)')).toBe('the full plan (`javascript:alert(1)`)');
  });

  it('writes thousands without the locale', () => {
    expect([0, 999, 1000, 65536, 1234567].map(thousands)).toEqual(['0', '999', '1,000', '65,536', '1,234,567']);
  });
});

describe('a plan with hostile names renders safely', () => {
  const evil = 'x|<img src=x onerror=alert(1)>`@admin\n</details>';
  const plan = aPlan()
    .pool(evil, [1, 1], { [evil]: [10, 20] })
    .place('ok-0', evil, `${evil}-0`, { cpuMillis: 100 }, { agent: evil, reason: evil })
    .blocked(evil, [['QuotaExceeded', evil]], evil)
    .quota(evil, { cpuMillis: 1 }, { cpuMillis: 2 })
    .warning('HostileWarning', evil)
    .build();
  const md = renderMarkdown(plan);

  it('opens no tag and mentions no one', () => {
    expect(md).not.toMatch(/<img|@admin/);
    expect(md.match(/<details>/g)?.length).toBe(1);
    expect(md.match(/<\/details>/g)?.length).toBe(1);
    expect(md.split('\n').filter((l) => /<\/?details>/.test(l)).every((l) => l === '</details>' || l.startsWith('<details><summary><b>'))).toBe(true);
  });

  it('keeps a hostile code inside its code span', () => {
    expect(codeSpan(evil)).toBe('`` x|<img src=x onerror=alert(1)>`@admin </details> ``');
  });

  it('keeps every table row to its column count', () => {
    const wrong: string[] = [];
    let width = 0;
    let checked = 0;
    for (const line of md.split('\n')) {
      const n = line.split(/(?<!\\)\|/).length;
      if (!line.startsWith('|')) width = 0;
      else if (/^\|[:-]/.test(line)) width = n;
      else if (width !== 0) {
        checked++;
        if (n !== width) wrong.push(line);
      }
    }
    expect(checked).toBe(11);
    expect(wrong).toEqual([]);
  });
});
