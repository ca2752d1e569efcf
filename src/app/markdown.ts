// Markdown with $math$ for the presets' "what to watch" notes: math is set by KaTeX, the rest by marked. Math is
// swapped for placeholders first so Markdown never touches TeX (underscores, backslashes).
import katex from 'katex';
import { marked } from 'marked';

export function renderMarkdown(text: string): string {
  const math: string[] = [];
  const held = text.replace(/\$([^$]+)\$/g, (_m, tex: string) => {
    math.push(katex.renderToString(tex, { throwOnError: false, output: 'htmlAndMathml' }));
    return `MATHPLACEHOLDER${math.length - 1}END`;
  });
  const html = marked.parse(held, { async: false, gfm: true });
  return html.replace(/MATHPLACEHOLDER(\d+)END/g, (_m, i: string) => math[Number(i)]);
}
