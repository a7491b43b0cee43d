/**
 * Large JSON documents written in pieces: the text of `JSON.stringify(value, null, indent)`, exactly, with
 * one long top-level list written 1,000 members a write. A 100,000-instance report is ~20 MB of JSON and a
 * reviewed plan ~24 MB; as one string, and its UTF-8 copy for the write, either would double the
 * process's peak memory at its very end (docs/benchmarks.md §4).
 */
import { randomUUID } from 'node:crypto';

/** Members of the long list per write. */
export const JSON_MEMBERS_PER_WRITE = 1000;

/**
 * Writes `JSON.stringify(value, null, indent)` and then `end` through `write`, `value[listKey]` (an array
 * at the top level) 1,000 members at a time. Without that array (or with an empty one), the whole text in
 * one write.
 *
 * @example
 * writeJsonText((chunk) => process.stdout.write(chunk), report, 'instances');
 * writeJsonText((chunk) => writeSync(fd, chunk), planDocument, 'instances', 2);
 */
export function writeJsonText<T extends object>(
  write: (chunk: string) => void,
  value: T,
  listKey: keyof T & string,
  indent = 0,
  end = '',
): void {
  const field = value[listKey];
  const list: unknown[] | undefined = Array.isArray(field) && field.length > 0 ? field : undefined;
  if (list === undefined) {
    write(`${JSON.stringify(value, null, indent)}${end}`);
    return;
  }
  // Unguessable, so that no string of the document can be taken for it.
  const marker = `\u0000${listKey}\u0000${randomUUID()}`;
  const quoted = JSON.stringify(marker);
  const text = JSON.stringify(
    value,
    function (this: unknown, key, member: unknown) {
      return this === value && key === listKey ? marker : member;
    },
    indent,
  );
  const at = text.indexOf(quoted);
  if (at === -1) {
    // Not where it was put (a toJSON reshaped the document): the whole text, as JSON.stringify writes it.
    write(`${JSON.stringify(value, null, indent)}${end}`);
    return;
  }
  // JSON.stringify puts each member of a top-level list on its own lines, two levels in.
  const inner = indent > 0 ? `\n${' '.repeat(2 * indent)}` : '';
  const outer = indent > 0 ? `\n${' '.repeat(indent)}` : '';
  const member = (item: unknown) => {
    const json = JSON.stringify(item === undefined || typeof item === 'function' ? null : item, null, indent);
    return indent > 0 ? json.replaceAll('\n', inner) : json;
  };
  write(`${text.slice(0, at)}[`);
  for (let i = 0; i < list.length; i += JSON_MEMBERS_PER_WRITE) {
    const members = list.slice(i, i + JSON_MEMBERS_PER_WRITE).map(member);
    write(`${i === 0 ? '' : ','}${inner}${members.join(`,${inner}`)}`);
  }
  write(`${outer}]${text.slice(at + quoted.length)}${end}`);
}
