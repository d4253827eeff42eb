// Vite's import.meta.glob, as vitest provides it (tsconfig has no "vite/client" types).
interface ImportMeta {
  glob<T = unknown>(pattern: string, options: { eager: true; import?: string }): Record<string, T>;
}

// Vite's ?raw imports: the file's text.
declare module "*?raw" {
  const text: string;
  export default text;
}
