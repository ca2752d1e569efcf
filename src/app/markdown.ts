// Markdown with $math$ for the presets' "what to watch" notes: math is set by KaTeX, the rest by marked. Math is
// swapped for placeholders first so Markdown never touches TeX (underscores, backslashes). The output goes into the
// page as HTML, so nothing in the text may add markup of its own: raw HTML is shown as text, links keep only http(s),
// mailto and in-page targets, and images are shown by their alt text (the page loads no remote content).
import katex from 'katex';
import { Marked, type Tokens } from 'marked';

const PLACEHOLDER = /MATHPLACEHOLDER(\d+)END/g;
/** A placeholder inside an attribute: it becomes the TeX source, never KaTeX's markup, which would end the quote. */
const SOURCE = /MATHSOURCE(\d+)END/g;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c]);

const inAttribute = (s: string): string => escapeHtml(s.replace(PLACEHOLDER, 'MATHSOURCE$1END'));

const SAFE_SCHEME = /^(?:https?:|mailto:|#)/i;

/**
 * The href to write, or null for a link that could run script or load data (javascript:, data:, vbscript:, ...) or
 * that is relative. Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:"), so
 * the check does too; the href is then written with every `&` escaped, so an entity cannot spell another scheme.
 */
function safeHref(href: string): string | null {
  const bare = [...href].filter((c) => c.charCodeAt(0) > 0x20 && c.charCodeAt(0) !== 0x7f).join('');
  if (!SAFE_SCHEME.test(bare)) return null;
  try {
    return encodeURI(href).replace(/%25/g, '%');
  } catch {
    return null;
  }
}

const md = new Marked({
  gfm: true,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link): string {
      const inner = this.parser.parseInline(tokens);
      const safe = safeHref(href);
      if (safe === null) return inner;
      return `<a href="${inAttribute(safe)}"${title ? ` title="${inAttribute(title)}"` : ''}>${inner}</a>`;
    },
    image({ text }: Tokens.Image): string {
      return escapeHtml(text);
    },
  },
});

export function renderMarkdown(text: string): string {
  const math: string[] = [];
  const held = text.replace(/\$([^$]+)\$/g, (_m, tex: string) => {
    math.push(tex);
    return `MATHPLACEHOLDER${math.length - 1}END`;
  });
  const html = md.parse(held, { async: false });
  // A placeholder the text itself spelled, beyond the math it holds, stays as written.
  const each = (f: (tex: string) => string) => (m: string, i: string) =>
    Number(i) < math.length ? f(math[Number(i)]) : m;
  return (
    html
      // Untrusted: KaTeX's \href, \url and \html* commands render as errors, never as markup.
      .replace(
        PLACEHOLDER,
        each((tex) => katex.renderToString(tex, { throwOnError: false, output: 'htmlAndMathml', trust: false })),
      )
      .replace(
        SOURCE,
        each((tex) => escapeHtml(`$${tex}$`)),
      )
  );
}

const rendered = new Map<string, string>();

/** renderMarkdown for a text that is drawn again and again (a chart's note, with every metric batch): set once. */
export function renderMarkdownOnce(text: string): string {
  let html = rendered.get(text);
  if (html === undefined) rendered.set(text, (html = renderMarkdown(text)));
  return html;
}
