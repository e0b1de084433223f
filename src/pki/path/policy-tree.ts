import { OID } from '../x509/oids';

export const ANY_POLICY = OID.anyPolicy;

/** A node of the valid_policy_tree (RFC 5280 §6.1.2 (a)). */
export interface PolicyNode {
  readonly validPolicy: string;
  /** Carried but not interpreted: qualifiers are the relying application's business (RFC 5280 §4.2.1.4). */
  readonly qualifiers: Uint8Array | undefined;
  expectedPolicySet: ReadonlySet<string>;
  readonly parent: PolicyNode | undefined;
  readonly children: PolicyNode[];
  readonly depth: number;
}

/**
 * A cap on the number of nodes. Policy mappings and anyPolicy let a short path grow the tree exponentially
 * (CVE-2023-0464 in OpenSSL was exactly that); past this size the path is refused instead.
 */
export const MAX_POLICY_NODES = 10_000;

export class PolicyTreeTooLarge extends Error {
  constructor() {
    super(`valid_policy_tree grew past ${MAX_POLICY_NODES} nodes`);
    this.name = 'PolicyTreeTooLarge';
  }
}

/** The valid_policy_tree with the operations RFC 5280 §6.1.3–§6.1.5 perform on it. */
export class PolicyTree {
  private readonly levels: PolicyNode[][] = [];
  private size = 0;
  private root: PolicyNode | undefined;

  /** §6.1.2 (a): one node of depth 0, anyPolicy, expecting { anyPolicy }. */
  constructor() {
    this.root = this.insert(undefined, ANY_POLICY, undefined, new Set([ANY_POLICY]));
  }

  /** True once the root has been deleted: the tree is NULL. */
  get isNull(): boolean {
    return this.root === undefined;
  }

  nodesAt(depth: number): readonly PolicyNode[] {
    return this.levels[depth] ?? [];
  }

  addChild(parent: PolicyNode, validPolicy: string, qualifiers: Uint8Array | undefined, expected: ReadonlySet<string>): PolicyNode {
    return this.insert(parent, validPolicy, qualifiers, expected);
  }

  private insert(parent: PolicyNode | undefined, validPolicy: string, qualifiers: Uint8Array | undefined, expected: ReadonlySet<string>): PolicyNode {
    if (this.size >= MAX_POLICY_NODES) throw new PolicyTreeTooLarge();
    const depth = parent ? parent.depth + 1 : 0;
    const node: PolicyNode = { validPolicy, qualifiers, expectedPolicySet: expected, parent, children: [], depth };
    parent?.children.push(node);
    (this.levels[depth] ??= []).push(node);
    this.size++;
    return node;
  }

  /** Deletes a node and everything below it. */
  deleteSubtree(node: PolicyNode): void {
    for (const child of [...node.children]) this.deleteSubtree(child);
    const level = this.levels[node.depth];
    if (level) {
      const at = level.indexOf(node);
      if (at >= 0) {
        level.splice(at, 1);
        this.size--;
      }
    }
    if (node.parent) {
      const at = node.parent.children.indexOf(node);
      if (at >= 0) node.parent.children.splice(at, 1);
    } else if (node === this.root) {
      this.root = undefined;
    }
  }

  /**
   * "If there is a node in the valid_policy_tree of depth `maxDepth` or less without any child nodes, delete
   * that node. Repeat this step until there are no nodes of depth `maxDepth` or less without children."
   * Working from the deepest level up removes every such chain in one pass.
   */
  pruneChildless(maxDepth: number): void {
    for (let d = maxDepth; d >= 0; d--) {
      for (const node of [...this.nodesAt(d)]) if (node.children.length === 0) this.deleteSubtree(node);
    }
  }

  /** Every node below the root, shallowest first. */
  allNodesBelowRoot(): PolicyNode[] {
    return this.levels.slice(1).flat();
  }
}
