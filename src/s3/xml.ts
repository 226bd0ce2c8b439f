// The few S3 XML answers hb reads, taken apart by element name (they are flat, and hb needs no schema).
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const decode = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) =>
    e[0] === "#" ? String.fromCodePoint(e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e] ?? all),
  );

/** The text of every <name> element directly in `xml` (first level that matches), in order. */
export function elements(xml: string, name: string): string[] {
  const found: string[] = [];
  const re = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, "g");
  for (let m = re.exec(xml); m; m = re.exec(xml)) found.push(m[1]!);
  return found;
}

/** The decoded text of the first <name> in `xml`, if any. */
export function text(xml: string, name: string): string | undefined {
  const first = elements(xml, name)[0];
  return first === undefined ? undefined : decode(first);
}
