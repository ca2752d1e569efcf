// The "what to watch" Markdown goes into the page as HTML: raw HTML in the text is shown as text, only http(s),
// mailto and in-page links survive, and math is still set by KaTeX.
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/app/markdown';

/** Every tag of the output with its attributes. */
const tags = (html: string) =>
  [...html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)].map(([, name, attrs]) => ({ name: name.toLowerCase(), attrs }));

const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);

/** Markup that plain Markdown makes: none of it runs script or loads anything. */
const PLAIN = new Set(['p', 'a', 'em', 'strong', 'code', 'pre', 'ul', 'ol', 'li', 'blockquote']);

function expectInert(html: string): void {
  for (const t of tags(html)) {
    expect(PLAIN, `<${t.name}${t.attrs}> in ${html}`).toContain(t.name);
    expect(t.attrs, html).not.toMatch(/\son\w+\s*=/i);
    expect(t.attrs, html).not.toMatch(/\s(src|style|srcdoc|formaction)\s*=/i);
  }
  for (const h of hrefs(html)) expect(h, html).toMatch(/^(https?:|mailto:|#)/i);
}

describe('renderMarkdown', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['a <img src=x onerror=alert(1)> b', '<p>a &lt;img src=x onerror=alert(1)&gt; b</p>'],
    ['<div onclick="alert(1)">hi</div>', '&lt;div onclick=&quot;alert(1)&quot;&gt;hi&lt;/div&gt;'],
    ['a <a href="javascript:alert(1)">b</a>', '<p>a &lt;a href=&quot;javascript:alert(1)&quot;&gt;b&lt;/a&gt;</p>'],
    [
      '<iframe src="https://example.com"></iframe>',
      '&lt;iframe src=&quot;https://example.com&quot;&gt;&lt;/iframe&gt;',
    ],
  ])('shows raw HTML as text: %s', (text, want) => {
    const html = renderMarkdown(text);
    expect(html.trim()).toBe(want);
    expectInert(html);
  });

  it.each([
    '[x](javascript:alert(1))',
    '[x](JaVaScRiPt:alert(1))',
    '[x](  javascript:alert(1))',
    '[x](<java\tscript:alert(1)>)',
    '[x](&#106;avascript:alert(1))',
    '[x](vbscript:msgbox(1))',
    '[x](data:text/html,<script>alert(1)</script>)',
    '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '<javascript:alert(1)>',
    '[x][r]\n\n[r]: javascript:alert(1)',
    '[x](/relative/path)',
    '[x](//evil.example/)',
  ])('keeps the text of a link it refuses: %s', (text) => {
    const html = renderMarkdown(text);
    expect(html).not.toMatch(/<a[\s>]/);
    expect(html).not.toContain('href');
    expectInert(html);
  });

  it('shows an image by its alt text, loading nothing', () => {
    for (const src of [
      'data:image/svg+xml,%3Csvg%20onload=alert(1)%3E',
      'https://example.com/x.png',
      'javascript:alert(1)',
    ]) {
      const html = renderMarkdown(`see ![the plot](${src})`);
      expect(html).toBe('<p>see the plot</p>\n');
    }
  });

  it('keeps http(s), mailto and in-page links', () => {
    const html = renderMarkdown(
      '[a](https://example.com/p?x=1&y=2 "A title") [b](http://example.com) [c](mailto:me@example.com) [d](#kl) www.example.org',
    );
    expect(hrefs(html)).toEqual([
      'https://example.com/p?x=1&amp;y=2',
      'http://example.com',
      'mailto:me@example.com',
      '#kl',
      'http://www.example.org',
    ]);
    expect(html).toContain('<a href="https://example.com/p?x=1&amp;y=2" title="A title">a</a>');
    expectInert(html);
  });

  it('sets math with KaTeX beside the rest of the Markdown', () => {
    const html = renderMarkdown(
      'The policy $\\pi_\\theta$ and `kl/optimal` *fall*, see [DPO](https://arxiv.org/abs/2305.18290).',
    );
    expect(html).toContain('class="katex"');
    expect(html).toContain('<annotation encoding="application/x-tex">\\pi_\\theta</annotation>');
    expect(html).toContain('<code>kl/optimal</code>');
    expect(html).toContain('<em>fall</em>');
    expect(html).toContain('<a href="https://arxiv.org/abs/2305.18290">DPO</a>');
    expect(html).not.toContain('MATHPLACEHOLDER');
  });

  it('lets no TeX command add a link or markup', () => {
    const html = renderMarkdown('$\\href{javascript:alert(1)}{x}$ $\\url{javascript:alert(1)}$ $\\htmlClass{x}{y}$');
    expect(html).toContain('class="katex"');
    expect(html).not.toMatch(/<a[\s>]/);
    expect(hrefs(html)).toEqual([]);
  });

  it('writes math in a link target or title as its TeX source, inside the quotes', () => {
    const html = renderMarkdown('[x](https://example.com/$a$ "about $b<c$")');
    expect(html).toBe('<p><a href="https://example.com/$a$" title="about $b&lt;c$">x</a></p>\n');
  });
});
