import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';

/**
 * A namespace-aware XML reader for untrusted SOAP requests, on saxes (a streaming, non-validating parser that
 * never reads a DTD nor resolves an external entity). On top of it we refuse what SOAP 1.2 forbids anyway
 * (a document type declaration, processing instructions) so that no entity, internal or external, is ever
 * declared; a reference to any entity but the five predefined ones is then a well-formedness error. Depth,
 * element count and text size are bounded so a small body cannot make a big tree.
 */

export interface XmlElement {
  /** Namespace URI, '' when the element is in no namespace. */
  readonly ns: string;
  readonly local: string;
  /** Attributes keyed by `{ns}local`, or `local` when unqualified (as nearly all TS 102 204 attributes are). */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element. */
  readonly text: string;
}

export interface XmlLimits {
  /** Bytes of the whole document (checked before parsing, too, by the HTTP body reader). */
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxElements: number;
  readonly maxAttributesPerElement: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxElements: 10_000,
  maxAttributesPerElement: 32,
};

export type XmlRejection = 'malformed' | 'doctype' | 'processing-instruction' | 'too-large' | 'too-deep' | 'too-many-elements' | 'too-many-attributes' | 'encoding';

/** Why a document was refused; `detail` comes from the parser and is for the log, never the wire. */
export class XmlRejectedError extends Error {
  override readonly name = 'XmlRejectedError';
  constructor(
    readonly reason: XmlRejection,
    readonly detail: string,
  ) {
    super(`XML refused (${reason}): ${detail}`);
  }
}

interface MutableElement {
  ns: string;
  local: string;
  attributes: Map<string, string>;
  children: MutableElement[];
  text: string;
}

function attributeKey(attr: SaxesAttributeNS): string {
  return attr.uri ? `{${attr.uri}}${attr.local}` : attr.local;
}

const DECLARED_ENCODING = /^<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/;

function decode(input: Buffer | string, limits: XmlLimits): string {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > limits.maxBytes) throw new XmlRejectedError('too-large', `${size} bytes > ${limits.maxBytes}`);
  let text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const declared = DECLARED_ENCODING.exec(text)?.[1]?.toLowerCase();
  // We decode as UTF-8 only; a document claiming another encoding would be read wrongly, so it is refused.
  if (declared !== undefined && declared !== 'utf-8' && declared !== 'utf8') throw new XmlRejectedError('encoding', `declared encoding ${declared}`);
  return text;
}

/** Parses one document; throws XmlRejectedError for anything malformed or beyond the limits, never anything else. */
export function parseXml(input: Buffer | string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  const text = decode(input, limits);
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;
  let elements = 0;

  parser.on('error', (err: Error) => {
    throw new XmlRejectedError('malformed', err.message);
  });
  parser.on('doctype', () => {
    throw new XmlRejectedError('doctype', 'a document type declaration is not allowed');
  });
  parser.on('processinginstruction', (pi) => {
    throw new XmlRejectedError('processing-instruction', `processing instruction ${pi.target}`);
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    elements += 1;
    if (elements > limits.maxElements) throw new XmlRejectedError('too-many-elements', `more than ${limits.maxElements} elements`);
    if (stack.length + 1 > limits.maxDepth) throw new XmlRejectedError('too-deep', `nesting deeper than ${limits.maxDepth}`);
    const attributes = new Map<string, string>();
    let count = 0;
    for (const attr of Object.values(tag.attributes)) {
      // Namespace declarations are consumed by the parser; they are not data.
      if (attr.prefix === 'xmlns' || attr.name === 'xmlns') continue;
      count += 1;
      if (count > limits.maxAttributesPerElement) throw new XmlRejectedError('too-many-attributes', `more than ${limits.maxAttributesPerElement} attributes`);
      attributes.set(attributeKey(attr), attr.value);
    }
    const element: MutableElement = { ns: tag.uri, local: tag.local, attributes, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const onText = (data: string): void => {
    const current = stack[stack.length - 1];
    if (current) current.text += data;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  try {
    parser.write(text).close();
  } catch (err) {
    if (err instanceof XmlRejectedError) throw err;
    // saxes reports a few errors by throwing from inside; they are still malformed input.
    throw new XmlRejectedError('malformed', err instanceof Error ? err.message : String(err));
  }
  if (!root) throw new XmlRejectedError('malformed', 'no root element');
  return root;
}

export function childElements(element: XmlElement, ns: string, local: string): XmlElement[] {
  return element.children.filter((c) => c.ns === ns && c.local === local);
}
