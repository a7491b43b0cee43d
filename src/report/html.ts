/**
 * HTML built from tagged templates that escape every interpolated value, so that an instance id, an
 * error message from ECS or a role name can never inject markup. Only {@link SafeHtml} (another
 * template's result) is inserted as it is.
 */

/** Markup that is already safe: the result of {@link html}. */
export class SafeHtml {
  public constructor(public readonly value: string) {}
  public toString(): string {
    return this.value;
  }
}

type Interpolated = SafeHtml | string | number | boolean | undefined | null | readonly Interpolated[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

function render(value: Interpolated): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * @example
 * html`<td>${instance.message}</td>` // <td>bears role &lt;x&gt;</td>
 */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1)
    out += render(values[i] as Interpolated) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** A query string from the given parameters, leaving out empty ones: `?status=Waiting&page=2`. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
