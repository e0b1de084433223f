/**
 * SMPP 3.4 command_status values (SMPP v3.4 §5.1.3, table 5-2), one table keyed by name:
 * value on the wire, the spec's text, and how the ESME treats it when a peer answers with it.
 *   retry: 'backoff'  the SMSC is saying "not now" (throttled, queue full): send again later, same PDU;
 *   retry: 'never'    the request itself is refused: report it to the caller.
 */
export const COMMAND_STATUS = {
  ESME_ROK: { value: 0x00000000, text: 'No Error', retry: 'never' },
  ESME_RINVMSGLEN: { value: 0x00000001, text: 'Message Length is invalid', retry: 'never' },
  ESME_RINVCMDLEN: { value: 0x00000002, text: 'Command Length is invalid', retry: 'never' },
  ESME_RINVCMDID: { value: 0x00000003, text: 'Invalid Command ID', retry: 'never' },
  ESME_RINVBNDSTS: { value: 0x00000004, text: 'Incorrect BIND Status for given command', retry: 'never' },
  ESME_RALYBND: { value: 0x00000005, text: 'ESME Already in Bound State', retry: 'never' },
  ESME_RINVPRTFLG: { value: 0x00000006, text: 'Invalid Priority Flag', retry: 'never' },
  ESME_RINVREGDLVFLG: { value: 0x00000007, text: 'Invalid Registered Delivery Flag', retry: 'never' },
  ESME_RSYSERR: { value: 0x00000008, text: 'System Error', retry: 'never' },
  ESME_RINVSRCADR: { value: 0x0000000a, text: 'Invalid Source Address', retry: 'never' },
  ESME_RINVDSTADR: { value: 0x0000000b, text: 'Invalid Dest Addr', retry: 'never' },
  ESME_RINVMSGID: { value: 0x0000000c, text: 'Message ID is invalid', retry: 'never' },
  ESME_RBINDFAIL: { value: 0x0000000d, text: 'Bind Failed', retry: 'never' },
  ESME_RINVPASWD: { value: 0x0000000e, text: 'Invalid Password', retry: 'never' },
  ESME_RINVSYSID: { value: 0x0000000f, text: 'Invalid System ID', retry: 'never' },
  ESME_RCANCELFAIL: { value: 0x00000011, text: 'Cancel SM Failed', retry: 'never' },
  ESME_RREPLACEFAIL: { value: 0x00000013, text: 'Replace SM Failed', retry: 'never' },
  ESME_RMSGQFUL: { value: 0x00000014, text: 'Message Queue Full', retry: 'backoff' },
  ESME_RINVSERTYP: { value: 0x00000015, text: 'Invalid Service Type', retry: 'never' },
  ESME_RINVNUMDESTS: { value: 0x00000033, text: 'Invalid number of destinations', retry: 'never' },
  ESME_RINVDLNAME: { value: 0x00000034, text: 'Invalid Distribution List name', retry: 'never' },
  ESME_RINVDESTFLAG: { value: 0x00000040, text: 'Destination flag is invalid (submit_multi)', retry: 'never' },
  ESME_RINVSUBREP: { value: 0x00000042, text: "Invalid 'submit with replace' request", retry: 'never' },
  ESME_RINVESMCLASS: { value: 0x00000043, text: 'Invalid esm_class field data', retry: 'never' },
  ESME_RCNTSUBDL: { value: 0x00000044, text: 'Cannot Submit to Distribution List', retry: 'never' },
  ESME_RSUBMITFAIL: { value: 0x00000045, text: 'submit_sm or submit_multi failed', retry: 'never' },
  ESME_RINVSRCTON: { value: 0x00000048, text: 'Invalid Source address TON', retry: 'never' },
  ESME_RINVSRCNPI: { value: 0x00000049, text: 'Invalid Source address NPI', retry: 'never' },
  ESME_RINVDSTTON: { value: 0x00000050, text: 'Invalid Destination address TON', retry: 'never' },
  ESME_RINVDSTNPI: { value: 0x00000051, text: 'Invalid Destination address NPI', retry: 'never' },
  ESME_RINVSYSTYP: { value: 0x00000053, text: 'Invalid system_type field', retry: 'never' },
  ESME_RINVREPFLAG: { value: 0x00000054, text: 'Invalid replace_if_present flag', retry: 'never' },
  ESME_RINVNUMMSGS: { value: 0x00000055, text: 'Invalid number of messages', retry: 'never' },
  ESME_RTHROTTLED: { value: 0x00000058, text: 'Throttling error (ESME has exceeded allowed message limits)', retry: 'backoff' },
  ESME_RINVSCHED: { value: 0x00000061, text: 'Invalid Scheduled Delivery Time', retry: 'never' },
  ESME_RINVEXPIRY: { value: 0x00000062, text: 'Invalid message validity period (Expiry time)', retry: 'never' },
  ESME_RINVDFTMSGID: { value: 0x00000063, text: 'Predefined Message Invalid or Not Found', retry: 'never' },
  ESME_RX_T_APPN: { value: 0x00000064, text: 'ESME Receiver Temporary App Error Code', retry: 'backoff' },
  ESME_RX_P_APPN: { value: 0x00000065, text: 'ESME Receiver Permanent App Error Code', retry: 'never' },
  ESME_RX_R_APPN: { value: 0x00000066, text: 'ESME Receiver Reject Message Error Code', retry: 'never' },
  ESME_RQUERYFAIL: { value: 0x00000067, text: 'query_sm request failed', retry: 'never' },
  ESME_RINVOPTPARSTREAM: { value: 0x000000c0, text: 'Error in the optional part of the PDU Body', retry: 'never' },
  ESME_ROPTPARNOTALLWD: { value: 0x000000c1, text: 'Optional Parameter not allowed', retry: 'never' },
  ESME_RINVPARLEN: { value: 0x000000c2, text: 'Invalid Parameter Length', retry: 'never' },
  ESME_RMISSINGOPTPARAM: { value: 0x000000c3, text: 'Expected Optional Parameter missing', retry: 'never' },
  ESME_RINVOPTPARAMVAL: { value: 0x000000c4, text: 'Invalid Optional Parameter Value', retry: 'never' },
  ESME_RDELIVERYFAILURE: { value: 0x000000fe, text: 'Delivery Failure (used for data_sm_resp)', retry: 'never' },
  ESME_RUNKNOWNERR: { value: 0x000000ff, text: 'Unknown Error', retry: 'never' },
} as const;

export type CommandStatusName = keyof typeof COMMAND_STATUS;

const BY_VALUE: ReadonlyMap<number, CommandStatusName> = new Map(
  (Object.keys(COMMAND_STATUS) as CommandStatusName[]).map((name) => [COMMAND_STATUS[name].value, name]),
);

/** The value of a status name. */
export function statusValue(name: CommandStatusName): number {
  return COMMAND_STATUS[name].value;
}

/** The name of a status value, or `0x%08X` for values outside SMPP 3.4's table (vendor codes). */
export function statusName(value: number): CommandStatusName | `0x${string}` {
  return BY_VALUE.get(value) ?? `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

export function isKnownStatus(value: number): boolean {
  return BY_VALUE.has(value);
}

/** Whether the ESME should send the same PDU again after a back-off (ESME_RTHROTTLED, ESME_RMSGQFUL, ...). */
export function isBackoffStatus(value: number): boolean {
  const name = BY_VALUE.get(value);
  return name !== undefined && COMMAND_STATUS[name].retry === 'backoff';
}
