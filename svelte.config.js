// Svelte compiler options, shared by Vite, svelte-check and eslint-plugin-svelte: every component uses runes.
export default {
  compilerOptions: { runes: true },
};
