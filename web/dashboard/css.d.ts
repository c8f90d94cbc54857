/** A stylesheet imported for its effect: esbuild bundles it into the entry's CSS file. */
declare module '*.css';
