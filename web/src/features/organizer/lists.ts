/**
 * The organizer's lists as typed in a form: performers one per line (the lineup in order, headliner
 * first), tags separated by commas. Blank entries are dropped; the API bounds the rest.
 */
export const performersFromText = (text: string): string[] => text.split('\n').map((name) => name.trim()).filter(Boolean);
export const tagsFromText = (text: string): string[] => text.split(',').map((tag) => tag.trim()).filter(Boolean);
export const performersText = (performers: readonly string[]): string => performers.join('\n');
export const tagsText = (tags: readonly string[]): string => tags.join(', ');

/** A coordinate field: empty is "not known" (null); anything else is read as decimal degrees. */
export const degreesFromText = (text: string): number | null => (text.trim() === '' ? null : Number(text.replace(',', '.')));
export const degreesText = (degrees: number | null): string => (degrees === null ? '' : String(degrees));
