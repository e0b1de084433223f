/**
 * The neutral view of a received message that the one validation (read.ts) walks. The SOAP binding adapts a
 * parsed XML element to it, the REST binding a JSON object, so both get the same checks and the same codes.
 */
export interface MessageNode {
  /** Element name (`MSS_SignatureReq`, `AP_Info`, ...) for error texts. */
  readonly name: string;
  attribute(name: string): string | undefined;
  /** Children with this name, in document order; elements of other namespaces are not seen. */
  children(name: string): readonly MessageNode[];
  /**
   * Children in another namespace, for a schema's xs:any slot (the JSON binding, having no namespaces, sees
   * them as plain keys); their own children are then those of that namespace.
   */
  extension(namespace: string, name: string): readonly MessageNode[];
  /** Character content, undefined when the node is not a leaf. */
  text(): string | undefined;
}
