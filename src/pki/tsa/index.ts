/** RFC 3161 time-stamp authority: strict query parser, TSTInfo, responses, the TSA itself, token verification. */
export { TimeStampAuthority, createTsa, type TsaSettings, type CreateTsaOptions, type TsaToken, type TsaReply, type TimeStampInput, type IssuedTimeStamp } from './tsa';
export { parseTimeStampQuery, encodeTimeStampQuery, DEFAULT_MAX_QUERY_BYTES, type TimeStampQuery, type TimeStampQueryInput } from './query';
export { parseTstInfo, encodeTstInfo, type TstInfo, type TstInfoInput, type Accuracy } from './tst-info';
export { encodeGranted, encodeRejection, parseTimeStampResponse, PKI_STATUS, type TimeStampResponse } from './response';
export { counterSerials, type SerialSource, type CounterSerialOptions } from './serial';
export { TSA_FAILURES, TSA_FAILURE_NAMES, TsaError, TsaConfigError, isTsaError, type TsaFailure } from './errors';
export { timeStampingCertificateProblem } from './certificate';
export { verifyTimeStampToken, TIME_STAMP_RULES, type TimeStampRule, type VerifyTimeStampOptions, type TimeStampVerifyResult } from './verify';
