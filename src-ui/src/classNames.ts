/** Joins class names (a CSS Module's, a global primitive's), leaving out the false, null and undefined ones. */
export function cx(...names: (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(" ");
}
