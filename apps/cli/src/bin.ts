#!/usr/bin/env node
import { processContext } from './cli/context.js';
import { main, wantsVerbose } from './main.js';

const argv = process.argv.slice(2);
const code = await main(argv, processContext(wantsVerbose(argv, process.env)));
process.exitCode = code;
