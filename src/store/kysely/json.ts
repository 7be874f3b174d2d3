// JSON columns are text on every engine; these keep the encoding in one place.

export const toJson = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

export const fromJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
