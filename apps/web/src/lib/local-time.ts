/** A Date as the value of a datetime-local input: the viewer's zone, to the minute. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * A datetime-local value as the API's RFC 3339 instant. The inputs have
 * minutes, so the end of a range covers its whole minute: "to 10:59"
 * includes every second of 10:59.
 */
export function localInputToIso(value: string, end = false): string {
  return new Date(new Date(value).getTime() + (end ? 59_999 : 0)).toISOString();
}
