/**
 * Hand-written types for the parts of the `smpp` package (0.5.1, farhadi/node-smpp) that src/channel/smpp uses.
 * The package ships no types. Only the PDU codec and its field tables are described: we do not use its
 * Session or Server (see codec.ts for why), so they are deliberately left out, which keeps anyone from
 * reaching for them by accident.
 */
declare module 'smpp' {
  /** A field type of the package's tables: how one mandatory parameter is read, sized and written. */
  export interface FieldType {
    read(buffer: Buffer, offset: number, length?: number): unknown;
    write(value: unknown, buffer: Buffer, offset: number): void;
    size(value: unknown): number;
    readonly default: unknown;
  }

  export interface ParamDefinition {
    readonly type: FieldType;
    readonly default?: unknown;
  }

  export interface CommandDefinition {
    readonly id: number;
    readonly command: string;
    /** Mandatory parameters in wire order; absent for header-only PDUs. */
    readonly params?: Readonly<Record<string, ParamDefinition>>;
  }

  export interface TlvDefinition {
    readonly id: number;
    readonly tag: string;
    readonly type: FieldType;
    readonly multiple?: boolean;
  }

  /**
   * The package's PDU object: header fields, then one own property per decoded parameter (snake_case,
   * as in SMPP 3.4), hence the index signature.
   */
  export class PDU {
    /** Builds a PDU to send; parameters not given take the table's defaults. */
    constructor(command: string, options?: Readonly<Record<string, unknown>>);
    /** Decodes a whole frame (header included). */
    constructor(buffer: Buffer);
    /** The package's own ceiling on command_length; larger frames make its parser throw. */
    static maxLength: number;
    command: string;
    command_length: number;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    toBuffer(): Buffer;
    fromBuffer(buffer: Buffer): void;
    /** Runs the per-field text/UDH/time conversions; 'decode' after reading, 'encode' before writing. */
    _filter(direction: 'encode' | 'decode'): void;
  }

  export const commands: Readonly<Record<string, CommandDefinition>>;
  export const commandsById: Readonly<Record<number, CommandDefinition>>;
  export const tlvs: Readonly<Record<string, TlvDefinition>>;
  export const tlvsById: Readonly<Record<number, TlvDefinition>>;
  export const types: {
    readonly int8: FieldType;
    readonly int16: FieldType;
    readonly int32: FieldType;
    readonly string: FieldType;
    readonly cstring: FieldType;
    readonly buffer: FieldType;
    readonly dest_address_array: FieldType;
    readonly unsuccess_sme_array: FieldType;
    readonly tlv: {
      readonly int8: FieldType;
      readonly int16: FieldType;
      readonly int32: FieldType;
      readonly cstring: FieldType;
      readonly string: FieldType;
      readonly buffer: FieldType;
    };
  };
  /** command_status names → values, as the package knows them. */
  export const errors: Readonly<Record<string, number>>;
}
