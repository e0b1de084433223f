import { sqliteEngine } from '../store/engines';
import { endingsAcrossNodes } from './support/endings-across-nodes';

describe('transaction endings across nodes on sqlite', () => endingsAcrossNodes(sqliteEngine));
