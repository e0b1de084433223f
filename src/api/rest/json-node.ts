import { MssFault } from '../../mss/status';
import type { MessageNode } from '../../mss/messages/node';
import type { XmlElement } from '../soap/safe-xml';

/**
 * The REST binding's JSON mirrors the XML: an element is a key with its schema name; attributes and leaf
 * children are strings (or numbers/booleans) under their names; DataType elements with attributes are
 * objects with `value`; repeated elements are arrays. The same MessageNode view feeds the same validation.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const MAX_DEPTH = 32;

function scalar(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function jsonMessageNode(name: string, value: Json, depth = 0): MessageNode {
  if (depth > MAX_DEPTH) throw new MssFault(101, 'the JSON is nested too deeply');
  const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  const children = (child: string): MessageNode[] => {
    const v = object?.[child];
    if (v === undefined || v === null) return [];
    const items = Array.isArray(v) ? v : [v];
    return items.map((item) => jsonMessageNode(child, item, depth + 1));
  };
  return {
    name,
    attribute: (attr) => (object ? scalar(object[attr]) : undefined),
    children,
    // JSON has no namespaces: an extension element is a key with its local name, as in the XML.
    extension: (_namespace, child) => children(child),
    text: () => (object ? scalar(object.value) : scalar(value)),
  };
}

/** Elements that are lists in the schema: always arrays in JSON, so a client's types do not change with the count. */
const LIST_ELEMENTS = new Set(['Service', 'Certificate', 'DN', 'Algorithm']);
const LIST_IN_PARENT: Record<string, string> = { MSS_ProfileResp: 'SignatureProfile' };

/** A serialised message (our own XML, parsed) as the JSON described above. */
export function elementToJson(element: XmlElement): Json {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of element.attributes) out[k] = v;
  if (element.children.length === 0) {
    if (element.attributes.size === 0) return element.text;
    if (element.text !== '') out.value = element.text;
    return out;
  }
  for (const child of element.children) {
    const v = elementToJson(child);
    const isList = LIST_ELEMENTS.has(child.local) || LIST_IN_PARENT[element.local] === child.local;
    const existing = out[child.local];
    if (isList) out[child.local] = [...(Array.isArray(existing) ? existing : []), v];
    else out[child.local] = v;
  }
  return out;
}
