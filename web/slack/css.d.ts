/** What a web entry imports for its styles: esbuild bundles it into a .css file beside the script. */
declare module '*.css';
