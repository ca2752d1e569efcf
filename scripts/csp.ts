// The Content-Security-Policy the built app and its worker run under: the build writes it into index.html as a
// <meta>, and `vite preview` also sends it as a header, which is how a module worker gets a policy of its own.

/**
 * Everything comes from the app's own origin and nothing runs that is not one of its files: no inline script, no
 * eval, no WebAssembly, no plugins. The one exception is style attributes: KaTeX sets each glyph's height and
 * offsets with inline `style="..."` in the HTML it renders (the UI's own styles are stylesheets, and Svelte and d3
 * set styles through the CSSOM, which no policy restricts). Browsers without `style-src-attr` fall back to
 * `style-src`, where math is laid out less precisely but nothing else changes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "font-src 'self'",
  "img-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** What only a header can say: no other site may frame the app (a <meta> policy ignores frame-ancestors). */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;
