/** What TMS put in a modal's private_metadata: the fields it reads, when they are strings. */
export function metadata(text: string | undefined): { ref?: string; channel?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '{}');
  } catch {
    return {};
  }
  if (!value || typeof value !== 'object') return {};
  const { ref, channel } = value as Record<string, unknown>;
  return {
    ...(typeof ref === 'string' ? { ref } : {}),
    ...(typeof channel === 'string' ? { channel } : {}),
  };
}
