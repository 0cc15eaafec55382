/** One line per dimension: `name (N): value=count …`, the most frequent value first (the stats reports share it). */
export function dimensionLines(dimensions: Record<string, Record<string, number>>): string[] {
  return Object.entries(dimensions).map(([dim, counts]) => {
    const items = Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`);
    return `${dim} (${items.length}): ${items.join(" ")}`;
  });
}
