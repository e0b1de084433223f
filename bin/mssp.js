#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources directly (swc strips the types), so a checkout works without a build step.
const path = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.json');
require('@swc-node/register');
require('../src/cli/main.ts').run();
